# FCN on a narrow ResNet-18-V1c (stem/base width 16, output stride 8) trained from scratch on the Fashion-MNIST scenes
# (composited from real items, 128 x 128, 11 classes, all 1,000 training scenes labelled), on one CPU. The
# reference CNN of the scenes' colour-only check (tools/analysis_tools/colour_only_baseline.py) and the base of the
# scene toys of SDN and the semi-supervised methods.
_base_ = [
    'mmseg::_base_/models/fcn_r50-d8.py',
    '../_base_/datasets/fashion_mnist_scenes.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmext.seg'], allow_failed_imports=False)

checkpoint = None  # trained from scratch: no weights are needed
load_from = None
crop_size = (128, 128)
num_classes = 11

norm_cfg = dict(type='BN', requires_grad=True)  # single process: no SyncBN
model = dict(
    pretrained=checkpoint,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(depth=18, stem_channels=16, base_channels=16, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=128, channels=64, num_classes=num_classes, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=64, channels=32, num_classes=num_classes, norm_cfg=norm_cfg))

val_evaluator = [dict(type='IoUMetric', iou_metrics=['mIoU']), dict(type='BoundaryMetric', width_ratio=0.02)]
test_evaluator = val_evaluator

max_iters = 4000
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters),
    sampler_seed=dict(type='DistSamplerSeedHook'))
randomness = dict(seed=0)
