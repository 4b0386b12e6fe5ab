# BAT, keep rate 0.7, DeiT-S trained from scratch for 300 epochs: the official headline run (79.58 % top-1,
# 3.005 GFLOPs). Recipe of the official log: 8 GPUs x 256 images, lr 5e-4 x 2048 / 512 with 5 warmup epochs and cosine
# decay to 1e-5; keep-rate warmup as in EViT's scratch script (rho = 1 for 10 epochs, then cosine to 0.7 over 100).
_base_ = 'mmpretrain::deit/deit-small_4xb256_in1k.py'

custom_imports = dict(imports=['mmext.pretrain'], allow_failed_imports=False)

keep_rate = 0.7

model = dict(
    # drop path 0.1: the DeiT / EViT training default (mmpretrain's deit-small config sets none)
    backbone=dict(type='BATViT', keep_rate=keep_rate, reduce_layers=(3, 6, 9), drop_path_rate=0.1))

train_dataloader = dict(batch_size=256)

optim_wrapper = dict(optimizer=dict(lr=5e-4 * 2048 / 512))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=5),
]
auto_scale_lr = dict(base_batch_size=2048)

custom_hooks = [dict(type='KeepRateWarmupHook', start_epoch=10, warmup_epochs=100)]
