# BAT, keep rate 0.7, fine-tuned for 30 epochs from a trained DeiT-B (1024 images per step, the recipe of the
# official DeiT-S logs). No BAT result exists for DeiT-B.
_base_ = './bat_deit-small-kr0.7_4xb256-30e-ft_in1k.py'

# mmpretrain's trained DeiT classifier (backbone + head), downloaded once and cached by mmengine
load_from = 'https://download.openmmlab.com/mmclassification/v0/deit/deit-base_pt-16xb64_in1k_20220216-db63c16c.pth'
model = dict(backbone=dict(arch='deit-base', drop_path_rate=0.1), head=dict(in_channels=768))
train_dataloader = dict(batch_size=64)
custom_hooks = [dict(type='EMAHook', momentum=4e-5, priority='ABOVE_NORMAL')]
