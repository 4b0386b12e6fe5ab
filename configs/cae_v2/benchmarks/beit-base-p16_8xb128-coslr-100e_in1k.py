# Fine-tuning a CAE v2 ViT-B/16 on ImageNet-1k (official: project/CAEv2/scripts/caev2_base_300e.sh, fine-tune part):
# BEiT-style encoder with the pre-trained sin-cos position table kept fixed (official --sin_pos_emb) and relative
# position bias, mean-pooled patch tokens normalised by the pre-trained final LayerNorm (official: norm -> fc_norm),
# 100 epochs (5 warmup), AdamW lr 2e-4 for 8 x 128 images (not batch-scaled), weight decay 0.05, layer decay 0.75,
# drop path 0.1, RandAugment m9-mstd0.5, label smoothing 0.1, Mixup 0.8 / CutMix 1.0, random erasing 0.25, cosine to
# 1e-6: mmpretrain's CAE fine-tuning config with CAE v2's lr, layer decay and ImageNet normalisation, and mmext's
# CAEv2ViT (mmpretrain's BEiTViT plus those two loading rules; docs/cae_v2.md §7) as the encoder.
_base_ = 'mmpretrain::cae/benchmarks/beit-base-p16_8xb128-coslr-100e_in1k.py'

custom_imports = dict(imports=['mmext.pretrain'], allow_failed_imports=False)

# The last checkpoint of configs/cae_v2/caev2_vit-base-p16_8xb256-amp-coslr-300e_in1k.py.
pretrained = 'work_dirs/caev2_vit-base-p16_8xb256-amp-coslr-300e_in1k/epoch_300.pth'

data_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])

model = dict(
    backbone=dict(
        type='CAEv2ViT',
        fixed_pos_embed=True,
        final_norm_to_pooled_norm=True,
        norm_cfg=dict(type='LN', eps=1e-6),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')))

optim_wrapper = dict(optimizer=dict(lr=2e-4), paramwise_cfg=dict(layer_decay_rate=0.75))
