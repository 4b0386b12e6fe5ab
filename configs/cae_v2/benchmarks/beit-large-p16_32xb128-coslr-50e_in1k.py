# Fine-tuning a CAE v2 ViT-L/16 on ImageNet-1k (paper: 86.7 top-1). The official repository releases no CAE v2 Large
# fine-tuning script; the Large values are those of its CAE (v1) Large script (scripts/cae_large_finetune.sh) and
# unverified for v2: 50 epochs (5 warmup), 32 GPUs x 64 images x 2 accumulation steps = 4096 images per step (here
# 32 x 128), AdamW lr 2e-3 absolute, layer decay 0.75, drop path 0.2, weight decay 0.05, Mixup 0.8 / CutMix 1.0,
# fixed sin-cos positions. The rest (RandAugment, label smoothing 0.1, random erasing 0.25, ImageNet normalisation,
# pre-trained final norm as the pooled-feature norm) is the CAE v2 ViT-B fine-tuning config's.
_base_ = './beit-base-p16_8xb128-coslr-100e_in1k.py'

# The last checkpoint of configs/cae_v2/caev2_vit-large-p16_8xb256-amp-coslr-300e_in1k.py.
pretrained = 'work_dirs/caev2_vit-large-p16_8xb256-amp-coslr-300e_in1k/epoch_300.pth'

model = dict(
    backbone=dict(arch='large', drop_path_rate=0.2, layer_scale_init_value=1e-5, init_cfg=dict(checkpoint=pretrained)),
    head=dict(in_channels=1024))

optim_wrapper = dict(optimizer=dict(lr=2e-3), paramwise_cfg=dict(layer_decay_rate=0.75))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=45, by_epoch=True, begin=5, end=50, eta_min=1e-6,
         convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=50)
auto_scale_lr = dict(base_batch_size=4096)
