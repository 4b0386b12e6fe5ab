# Linear probing of a CAE v2 ViT-T/16 on ImageNet-1k (official: project/CAEv2/scripts/caev2_tiny_300e.sh): 8 x 2048
# images, LARS lr 0.1 x 16384 / 256 = 6.4.
_base_ = './beit-base-p16_8xb1024-linear-coslr-90e_in1k.py'

pretrained = 'work_dirs/caev2_vit-tiny-p16_8xb256-amp-coslr-300e_in1k/epoch_300.pth'

train_dataloader = dict(batch_size=2048)

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=192, num_layers=12, num_heads=12, feedforward_channels=768),
        init_cfg=dict(checkpoint=pretrained)),
    neck=dict(input_features=192),
    head=dict(in_channels=192))

optim_wrapper = dict(optimizer=dict(lr=6.4))
