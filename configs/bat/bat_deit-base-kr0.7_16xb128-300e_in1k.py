# BAT, keep rate 0.7, DeiT-B trained from scratch for 300 epochs with the DeiT-S headline recipe (2048 images per
# step). No BAT result exists for DeiT-B. EMA of the weights as in mmpretrain's deit-base config.
_base_ = './bat_deit-small-kr0.7_8xb256-300e_in1k.py'

model = dict(backbone=dict(arch='deit-base'), head=dict(in_channels=768))
train_dataloader = dict(batch_size=128)
custom_hooks = [
    dict(type='EMAHook', momentum=4e-5, priority='ABOVE_NORMAL'),
    dict(type='KeepRateWarmupHook', start_epoch=10, warmup_epochs=100),
]
