# BAT on real images, CPU-sized: Fashion-MNIST (28 x 28 grey clothing photos, 10 classes) with 2 x 2 patches, so the
# token grid is 14 x 14 = 196 patch tokens, DeiT's count at 224 px. A 6-layer, 48-wide ViT (2 heads) reducing at
# layers 1 and 3 (1/6 and 1/2 of the depth; DeiT-S reduces at 1/4, 1/2, 3/4): 197 -> 139 -> 98 tokens at keep rate
# 0.7. Trained from scratch on the first 10,000 training images, evaluated on all 10,000 test images. The protocol
# (subset, schedule, seeds) was fixed from the keep-rate-1 baseline's curve before any reduced run; see the README.
#   python tools/dataset_converters/fashion_mnist.py     # provides data/fashion_mnist offline
#   python tools/train.py configs/bat/bat_vit-mini-p2-kr0.7_1xb128-5e_fashion-mnist-28px.py \
#       --cfg-options model.backbone.keep_rate=1.0       # the DeiT baseline; mode=evit / tome for the anchors
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmext.pretrain'], allow_failed_imports=False)

data_root = 'data/fashion_mnist'
keep_rate = 0.7
num_train = 10000
max_epochs = 5

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='BATViT',
        arch=dict(embed_dims=48, num_layers=6, num_heads=2, feedforward_channels=192),
        img_size=28,
        patch_size=2,
        in_channels=1,
        reduce_layers=(1, 3),
        keep_rate=keep_rate),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=48,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=.02),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ])

# Fashion-MNIST's pixel mean and std (0-255 scale), as mmpretrain's MNIST-style configs normalise.
data_preprocessor = dict(num_classes=10, mean=[72.94], std=[90.02], to_rgb=False)
train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=128,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='FashionMNIST', data_root=data_root, split='train', download=False, indices=num_train,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=500,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='FashionMNIST', data_root=data_root, split='test', test_mode=True, download=False,
        pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05), clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=True, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True),
]
# One validation at the end (10,000 test images); the baseline's curve was made with train_cfg.val_interval=1.
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(logger=dict(type='LoggerHook', interval=20), checkpoint=dict(type='CheckpointHook', interval=5))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
