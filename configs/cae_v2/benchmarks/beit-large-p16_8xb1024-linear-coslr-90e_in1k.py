# Linear probing of a CAE v2 ViT-L/16 on ImageNet-1k (paper: 81.7 top-1). No official Large linear script; the CAE v2
# ViT-B recipe (MAE-style: frozen encoder, CLS token after the final norm, BatchNorm without affine + Linear, LARS lr
# 0.1 x 8192 / 256 = 3.2, 90 epochs) with the Large encoder, unverified for Large.
_base_ = './beit-base-p16_8xb1024-linear-coslr-90e_in1k.py'

pretrained = 'work_dirs/caev2_vit-large-p16_8xb256-amp-coslr-300e_in1k/epoch_300.pth'

model = dict(
    backbone=dict(arch='large', layer_scale_init_value=1e-5, frozen_stages=24, init_cfg=dict(checkpoint=pretrained)),
    neck=dict(input_features=1024),
    head=dict(in_channels=1024))
