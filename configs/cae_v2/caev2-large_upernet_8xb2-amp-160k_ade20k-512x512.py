# ADE20K semantic segmentation with a CAE v2 ViT-L/16 (paper: 55.9 mIoU): UperNet + auxiliary FCN on layers 8, 12, 16
# and 24, 160k iterations of 8 x 2 crops of 512 x 512, AdamW lr 4e-5, layer decay 0.95, drop path 0.15, LayerScale
# 1e-5, relative position bias on and the pre-trained sin-cos table resized and fixed, sliding-window test with stride
# 341: the CAE repository's Large segmentation config
# (downstream_tasks/semantic_segmentation/configs_local/cae/upernet/upernet_cae_large_24_512_slide_160k_ade20k_pt_
# decay095_4e-5_dp015.py), shared by CAE v1 and v2 and not confirmed for v2. Everything else as the ViT-B config.
_base_ = './caev2-base_upernet_8xb2-amp-160k_ade20k-512x512.py'

# The last checkpoint of configs/cae_v2/caev2_vit-large-p16_8xb256-amp-coslr-300e_in1k.py.
pretrained = 'work_dirs/caev2_vit-large-p16_8xb256-amp-coslr-300e_in1k/epoch_300.pth'

model = dict(
    backbone=dict(
        arch='large',
        layer_scale_init_value=1e-5,
        drop_path_rate=0.15,
        out_indices=[7, 11, 15, 23],
        init_cfg=dict(checkpoint=pretrained)),
    neck=dict(embed_dim=1024),
    decode_head=dict(in_channels=[1024, 1024, 1024, 1024], channels=1024),
    auxiliary_head=dict(in_channels=1024))

optim_wrapper = dict(optimizer=dict(lr=4e-5), paramwise_cfg=dict(num_layers=24, layer_decay_rate=0.95))
