# A tiny AugSeg on the synthetic shapes for fast tool tests: the toy config at the tiny FCN's width, 2 labelled + 2
# unlabelled images per step, 8 iterations, no random geometry (the augmentation draws are seeded by the step).
_base_ = ['../../configs/augseg/augseg_fcn-r18-w16-d8_1xb8+8-1k_synthetic-1-8-64x64.py']
num_images = 16
model = dict(
    segmentor=dict(
        backbone=dict(stem_channels=16, base_channels=16),
        decode_head=dict(in_channels=128, channels=16, num_convs=1, dropout_ratio=0.0),
        auxiliary_head=None))
branches = ['sup', 'unsup']
labeled_pipeline = [
    dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
    dict(type='mmdet.MultiBranch', branch_field=branches, sup=dict(type='PackSegInputs'))]
unlabeled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.MultiBranch', branch_field=branches, unsup=dict(type='PackSegInputs'))]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(batch_size=4, source_ratio=[2, 2]),
    dataset=dict(datasets=[
        dict(_base_.labeled, num_samples=num_images, indices=list(range(4)), pipeline=labeled_pipeline),
        dict(_base_.unlabeled, num_samples=num_images, indices=list(range(4, num_images)), pipeline=unlabeled_pipeline)
    ]))
val_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False, dataset=dict(num_samples=8))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
max_iters = 8
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
custom_hooks = [dict(type='MeanTeacherEMAHook', momentum=0.2, copy_until_iter=2)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=4))
randomness = dict(seed=0, deterministic=True)
