# BAT, keep rate 0.7, fine-tuned for 30 epochs from a trained DeiT-T with the recipe of the official DeiT-S logs.
_base_ = './bat_deit-small-kr0.7_4xb256-30e-ft_in1k.py'

# mmpretrain's trained DeiT classifier (backbone + head), downloaded once and cached by mmengine
load_from = 'https://download.openmmlab.com/mmclassification/v0/deit/deit-tiny_pt-4xb256_in1k_20220218-13b382a0.pth'
model = dict(backbone=dict(arch='deit-tiny'), head=dict(in_channels=192))
