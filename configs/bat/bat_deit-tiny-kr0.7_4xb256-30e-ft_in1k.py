# BAT, keep rate 0.7, fine-tuned for 30 epochs from a trained DeiT-T with the recipe of the official DeiT-S logs.
_base_ = './bat_deit-small-kr0.7_4xb256-30e-ft_in1k.py'

# a trained DeiT-T classifier, e.g. mmpretrain's deit-tiny_pt-4xb256_in1k_20220218-13b382a0.pth
deit_checkpoint = 'checkpoints/deit-tiny_pt-4xb256_in1k_20220218-13b382a0.pth'

load_from = deit_checkpoint
model = dict(backbone=dict(arch='deit-tiny'), head=dict(in_channels=192))
