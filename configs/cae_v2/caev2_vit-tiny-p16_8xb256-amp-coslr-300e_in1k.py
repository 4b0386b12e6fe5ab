# CAE v2 pre-training, ViT-T/16 (192 wide, 12 layers, 12 heads), ImageNet-1k, 300 epochs (official:
# project/CAEv2/scripts/caev2_tiny_300e.sh): 30 of 196 patches masked, encoder output projected 192 -> 96 for a
# 1-layer 96-wide regressor.
_base_ = './caev2_vit-base-p16_8xb256-amp-coslr-300e_in1k.py'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomResizedCropAndInterpolationWithTwoPic',
        size=224,
        second_size=224,
        interpolation='bicubic',
        second_interpolation='bicubic',
        scale=(0.4, 1.0)),
    dict(type='BlockwiseMaskGenerator', input_size=(14, 14), num_masking_patches=30, min_num_patches=16),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    backbone=dict(arch=dict(_delete_=True, embed_dims=192, num_layers=12, num_heads=12, feedforward_channels=768)),
    neck=dict(in_dims=192, embed_dims=96, regressor_depth=1))
