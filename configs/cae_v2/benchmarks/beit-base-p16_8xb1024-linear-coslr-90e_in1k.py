# Linear probing of a CAE v2 ViT-B/16 on ImageNet-1k (official: project/CAEv2/scripts/caev2_base_300e.sh, linear
# part, MAE-style): frozen encoder, CLS token after the final norm, BatchNorm without affine + Linear, LARS with
# lr 0.1 x 8192 / 256 = 3.2, no weight decay, 90 epochs (10 warmup), RandomResizedCrop + flip. mmpretrain's MAE
# linear-probing config with the encoder as pre-trained (q/v biases, LayerScale, fixed sin-cos positions, no
# relative position bias).
_base_ = 'mmpretrain::mae/benchmarks/vit-base-p16_8xb2048-linear-coslr-90e_in1k.py'

custom_imports = dict(imports=['mmext.pretrain'], allow_failed_imports=False)

# The last checkpoint of configs/cae_v2/caev2_vit-base-p16_8xb256-amp-coslr-300e_in1k.py.
pretrained = 'work_dirs/caev2_vit-base-p16_8xb256-amp-coslr-300e_in1k/epoch_300.pth'

train_dataloader = dict(batch_size=1024)

model = dict(
    backbone=dict(
        _delete_=True,
        type='BEiTViT',
        arch='base',
        img_size=224,
        patch_size=16,
        layer_scale_init_value=0.1,
        norm_cfg=dict(type='LN', eps=1e-6),
        use_abs_pos_emb=True,
        use_rel_pos_bias=False,
        frozen_stages=12,
        out_type='cls_token',
        final_norm=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')))

optim_wrapper = dict(optimizer=dict(lr=3.2))
