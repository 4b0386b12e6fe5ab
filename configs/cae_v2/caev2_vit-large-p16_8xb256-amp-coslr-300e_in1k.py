# CAE v2 pre-training, ViT-L/16 (1024 wide, 24 layers, 16 heads), ImageNet-1k, 300 epochs, CLIP ViT-B/16 teacher:
# the setting of the paper's ViT-L numbers (linear 81.7, fine-tune 86.7, ADE20K 55.9; arXiv 2211.09799 abstract).
# The official repository releases no Large script; values it does not give are the ViT-B recipe's and unverified:
# 98 of 196 patches masked (the best ratio grows with model size in the paper; Base uses 50 %), a 4-layer, 1024-wide,
# 16-head regressor, 8 x 256 images, lr 1.5e-3, drop path 0.1. LayerScale 1e-5 in encoder and regressor is the
# official README's value for Large. See docs/cae_v2.md §8.
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
    dict(type='BlockwiseMaskGenerator', input_size=(14, 14), num_masking_patches=98, min_num_patches=16),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    backbone=dict(arch='l', layer_scale_init_value=1e-5),
    neck=dict(in_dims=1024, embed_dims=1024, regressor_depth=4, num_heads=16, layer_scale_init_value=1e-5))
