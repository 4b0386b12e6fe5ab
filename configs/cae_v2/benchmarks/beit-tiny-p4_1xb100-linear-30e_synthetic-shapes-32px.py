# Toy linear probe on mmext's embedded classification data, the evaluation half of the toy comparison
# (tools/benchmarks/caev2_toy_linear_probe.py): the encoder of configs/cae_v2/
# caev2_vit-tiny-p4_1xb64-50e_synthetic-shapes-32px.py, frozen, read by mmpretrain's BEiTViT; its CLS token after
# the final norm goes through BatchNorm without affine + Linear (the official MAE-style probe). SGD with momentum
# instead of the official LARS: with 100 images per batch there is no large-batch problem for LARS to solve.
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmext.pretrain'], allow_failed_imports=False)

data_root = 'data/synthetic_shapes_cls_caev2'  # own folder: its val split has 1000 images
# The last checkpoint of the toy pre-training (or a random-init encoder saved by the comparison script).
pretrained = 'work_dirs/caev2_vit-tiny-p4_1xb64-50e_synthetic-shapes-32px/epoch_50.pth'

data_preprocessor = dict(num_classes=10, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='BEiTViT',
        arch=dict(embed_dims=64, num_layers=4, num_heads=4, feedforward_channels=256),
        img_size=32,
        patch_size=4,
        layer_scale_init_value=0.1,
        norm_cfg=dict(type='LN', eps=1e-6),
        use_abs_pos_emb=True,
        use_rel_pos_bias=False,
        frozen_stages=4,
        out_type='cls_token',
        final_norm=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(type='ClsBatchNormNeck', input_features=64),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss'),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.01)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=100,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='SyntheticShapesClassification', data_root=data_root, split='train', image_size=32,
        pipeline=train_pipeline))
# 1000 validation images: one image is 0.1 % of accuracy.
val_dataloader = dict(
    batch_size=200,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='SyntheticShapesClassification', data_root=data_root, split='val', num_samples=1000, image_size=32,
        pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.))
param_scheduler = [dict(type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=0, end=30,
                        convert_to_iter_based=True)]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=10)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(logger=dict(type='LoggerHook', interval=10), checkpoint=dict(type='CheckpointHook', interval=30))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
