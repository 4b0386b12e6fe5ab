# A tiny FCN on the synthetic shapes for fast tool tests (a few hundred ms per iteration on one CPU core).
# Deterministic end to end: no dropout, no random augmentation, single-process data loading.
_base_ = ['../../configs/demo/fcn_r18-d8_1xb8-400iter_synthetic-64x64.py']
model = dict(
    backbone=dict(stem_channels=16, base_channels=16),
    decode_head=dict(in_channels=128, channels=16, num_convs=1, dropout_ratio=0.0),
    auxiliary_head=None)
train_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(num_samples=16, pipeline=train_pipeline))
val_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False, dataset=dict(num_samples=8))
test_dataloader = val_dataloader
max_iters = 8
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=4))
randomness = dict(seed=0, deterministic=True)
