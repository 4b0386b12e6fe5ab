# Linear probing of a CAE v2 ViT-S/16 on ImageNet-1k (official: project/CAEv2/scripts/caev2_small_300e.sh): as
# ViT-B, 8 x 1024 images, LARS lr 3.2.
_base_ = './beit-base-p16_8xb1024-linear-coslr-90e_in1k.py'

pretrained = 'work_dirs/caev2_vit-small-p16_8xb256-amp-coslr-300e_in1k/epoch_300.pth'

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=384, num_layers=12, num_heads=12, feedforward_channels=1536),
        init_cfg=dict(checkpoint=pretrained)),
    neck=dict(input_features=384),
    head=dict(in_channels=384))
