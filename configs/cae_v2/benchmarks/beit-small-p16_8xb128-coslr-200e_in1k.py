# Fine-tuning a CAE v2 ViT-S/16 on ImageNet-1k (official: project/CAEv2/scripts/caev2_small_300e.sh): as ViT-B but
# 200 epochs (20 warmup) at lr 4e-4.
_base_ = './beit-base-p16_8xb128-coslr-100e_in1k.py'

pretrained = 'work_dirs/caev2_vit-small-p16_8xb256-amp-coslr-300e_in1k/epoch_300.pth'

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=384, num_layers=12, num_heads=12, feedforward_channels=1536),
        init_cfg=dict(checkpoint=pretrained)),
    head=dict(in_channels=384))

optim_wrapper = dict(optimizer=dict(lr=4e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=20, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=180, by_epoch=True, begin=20, end=200, eta_min=1e-6,
         convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=200)
