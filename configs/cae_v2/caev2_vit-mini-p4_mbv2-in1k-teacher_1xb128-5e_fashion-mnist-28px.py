# Toy CAE v2 on real images with a real pretrained teacher (mmext's extension, docs/cae_v2.md section 11): the first
# 10,000 Fashion-MNIST training images (28 x 28 grey clothing photos, labels unused), a 4-layer, 64-wide ViT with
# 4 x 4 patches (a 7 x 7 grid), 12 of 49 patches block-masked, a 1-layer 32-wide regressor after a 64 -> 32
# projection. The teacher is torchvision's ImageNet MobileNetV2 cut after features.13 (96 channels, stride 16) on a
# 56 px teacher view of the same crop; its 4 x 4 map is resampled to the 7 x 7 grid and its pooled map is the CLS
# target. The random-teacher control is caev2_vit-mini-p4_mbv2-random-teacher_1xb128-5e_fashion-mnist-28px.py.
#   python tools/dataset_converters/fashion_mnist.py        # provides data/fashion_mnist offline
#   python tools/misc/offline_teacher_weights.py            # the teacher's weights into torch's hub cache offline
#   python tools/benchmarks/caev2_toy_linear_probe.py --protocol fashion-mnist --seeds 0 1 2
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmext.pretrain'], allow_failed_imports=False)

data_root = 'data/fashion_mnist'
num_train = 10000
max_epochs = 5

# Student view: Fashion-MNIST's pixel mean / std (grey, one channel). Teacher view: identity here, because the
# teacher normalises with ImageNet's statistics itself (after repeating grey to three channels).
data_preprocessor = dict(
    type='TwoNormDataPreprocessor', mean=[72.94], std=[90.02], second_mean=[0.], second_std=[1.], to_rgb=False)

train_pipeline = [
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomResizedCropAndInterpolationWithTwoPic',
        size=28,
        second_size=56,
        interpolation='bicubic',
        second_interpolation='bicubic',
        scale=(0.4, 1.0)),
    dict(type='BlockwiseMaskGenerator', input_size=(7, 7), num_masking_patches=12, min_num_patches=4),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='FashionMNIST', data_root=data_root, split='train', download=False, indices=num_train,
        pipeline=train_pipeline))

model = dict(
    type='CAEv2',
    backbone=dict(
        type='CAEPretrainViT',
        arch=dict(embed_dims=64, num_layers=4, num_heads=4, feedforward_channels=256),
        img_size=28,
        patch_size=4,
        in_channels=1,
        bias='qv_bias',
        layer_scale_init_value=0.1,
        drop_path_rate=0.1),
    neck=dict(
        type='CAEv2Neck',
        in_dims=64,
        embed_dims=32,
        out_dims=96,
        regressor_depth=1,
        num_heads=4,
        drop_path_rate=0.1,
        layer_scale_init_value=0.1,
        num_patches=49),
    head=dict(type='CAEv2Head'),
    target_generator=dict(
        type='TorchvisionTeacher',
        arch='mobilenet_v2',
        stage='features.13',
        token_grid=(7, 7),
        weights='IMAGENET1K_V1',
        resample='bilinear'))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-3, betas=(0.9, 0.999), weight_decay=0.05),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(bias_decay_mult=0.0, norm_decay_mult=0.0, flat_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10), checkpoint=dict(type='CheckpointHook', interval=max_epochs))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
