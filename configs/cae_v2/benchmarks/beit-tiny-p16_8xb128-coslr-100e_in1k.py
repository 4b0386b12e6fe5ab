# Fine-tuning a CAE v2 ViT-T/16 on ImageNet-1k (official: project/CAEv2/scripts/caev2_tiny_300e.sh): 100 epochs
# (5 warmup), lr 4e-3, layer decay 0.85, no drop path, RandAugment m10-mstd0.5, no label smoothing, Mixup 0.2 and
# no CutMix (the official script's values, far from ViT-B's).
_base_ = './beit-base-p16_8xb128-coslr-100e_in1k.py'

pretrained = 'work_dirs/caev2_vit-tiny-p16_8xb256-amp-coslr-300e_in1k/epoch_300.pth'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=10,
        magnitude_std=0.5,
        hparams=dict(pad_val=[128, 128, 128], interpolation='bicubic')),
    dict(
        type='RandomErasing',
        erase_prob=0.25,
        mode='rand',
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=[127.5, 127.5, 127.5],
        fill_std=[127.5, 127.5, 127.5]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=192, num_layers=12, num_heads=12, feedforward_channels=768),
        drop_path_rate=0.0,
        init_cfg=dict(checkpoint=pretrained)),
    head=dict(in_channels=192, loss=dict(_delete_=True, type='CrossEntropyLoss', use_soft=True)),
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.2)]))

optim_wrapper = dict(optimizer=dict(lr=4e-3), paramwise_cfg=dict(layer_decay_rate=0.85))
