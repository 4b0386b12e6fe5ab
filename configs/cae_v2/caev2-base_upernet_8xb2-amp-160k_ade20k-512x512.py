# ADE20K semantic segmentation with a CAE v2 ViT-B/16: UperNet + auxiliary FCN on four levels (layers 4, 6, 8, 12,
# rescaled x4, x2, x1, x0.5), 160k iterations of 8 x 2 crops of 512 x 512, AdamW lr 1e-4, weight decay 0.05, layer
# decay 0.65, 1500-iteration warmup then poly, drop path 0.1, relative position bias on, AMP, sliding-window test with
# stride 341 (Atten4Vis/CAE downstream_tasks/semantic_segmentation, shared by CAE v1 and v2; not confirmed for v2).
# Absolute positions: the pre-trained 14 x 14 sin-cos table, resized bicubically to the 32 x 32 grid when the
# checkpoint loads and kept fixed, as the official backbone and loader do (see docs/cae_v2.md §7). Without it the
# encoder has no position information at all (the relative bias tables start at zero), and its features only permute
# with the patches. mmseg's MAE UperNet config with the encoder replaced by mmext's CAEv2ViT (mmpretrain's BEiTViT
# with a fixed position table), which reads the CAE v2 pre-training checkpoint as it is (keys prefixed "backbone.").
# Needs mmpretrain's models besides mmseg: custom_imports lists 'mmpretrain.models' and 'mmext.pretrain'.
_base_ = 'mmseg::mae/mae-base_upernet_8xb2-amp-160k_ade20k-512x512.py'

custom_imports = dict(imports=['mmext.seg', 'mmpretrain.models', 'mmext.pretrain'], allow_failed_imports=False)

# The last checkpoint of configs/cae_v2/caev2_vit-base-p16_8xb256-amp-coslr-300e_in1k.py.
pretrained = 'work_dirs/caev2_vit-base-p16_8xb256-amp-coslr-300e_in1k/epoch_300.pth'

model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmpretrain.CAEv2ViT',
        arch='base',
        img_size=512,
        patch_size=16,
        layer_scale_init_value=0.1,
        norm_cfg=dict(type='LN', eps=1e-6),
        use_abs_pos_emb=True,
        fixed_pos_embed=True,
        use_rel_pos_bias=True,
        drop_path_rate=0.1,
        out_indices=[3, 5, 7, 11],
        out_type='featmap',
        final_norm=False,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')))

# The base config asks for AMP with mmseg 0.x's `fp16` key, which mmseg 1.x ignores.
optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')
