# Toy CAE v2 on mmext's embedded classification data (10 classes of generated textured shapes, 32 x 32, written under
# data_root on first use; labels unused): a 4-layer, 64-wide ViT with 4 x 4 patches (an 8 x 8 grid), 16 of 64 patches
# block-masked, the encoder output projected to a 32-wide 1-layer regressor (as the Tiny recipe does 192 -> 96),
# and a small randomly initialised CLIP-layout teacher (no CLIP weights exist offline; a random teacher still gives
# MIM targets that carry image structure, see docs/cae_v2.md). Trains on one CPU in minutes; the smoke test of the
# component and the pre-training half of the toy linear-probe comparison (tools/benchmarks/caev2_toy_linear_probe.py).
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmext.pretrain'], allow_failed_imports=False)

data_root = 'data/synthetic_shapes_cls_caev2'  # own folder: its val split has 1000 images

data_preprocessor = dict(
    type='TwoNormDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    second_mean=[122.770938, 116.746013, 104.093736],
    second_std=[68.500533, 66.632158, 70.323163],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomResizedCropAndInterpolationWithTwoPic',
        size=32,
        second_size=32,
        interpolation='bicubic',
        second_interpolation='bicubic',
        scale=(0.4, 1.0)),
    dict(type='BlockwiseMaskGenerator', input_size=(8, 8), num_masking_patches=16, min_num_patches=4),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='SyntheticShapesClassification', data_root=data_root, split='train', image_size=32,
        pipeline=train_pipeline))

model = dict(
    type='CAEv2',
    backbone=dict(
        type='CAEPretrainViT',
        arch=dict(embed_dims=64, num_layers=4, num_heads=4, feedforward_channels=256),
        img_size=32,
        patch_size=4,
        bias='qv_bias',
        layer_scale_init_value=0.1,
        drop_path_rate=0.1),
    neck=dict(
        type='CAEv2Neck',
        in_dims=64,
        embed_dims=32,
        out_dims=32,
        regressor_depth=1,
        num_heads=4,
        drop_path_rate=0.1,
        layer_scale_init_value=0.1,
        num_patches=64),
    head=dict(type='CAEv2Head'),
    target_generator=dict(
        type='CLIPTeacher',
        arch=dict(input_resolution=32, patch_size=4, width=64, layers=2, heads=2, output_dim=32)))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-3, betas=(0.9, 0.999), weight_decay=0.05),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(bias_decay_mult=0.0, norm_decay_mult=0.0, flat_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=5, end=50, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50)

default_hooks = dict(logger=dict(type='LoggerHook', interval=5), checkpoint=dict(type='CheckpointHook', interval=50))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
