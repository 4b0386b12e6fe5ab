# CAE v2 pre-training, ViT-B/16, ImageNet-1k, 300 epochs (official recipe: Atten4Vis/CAE project/CAEv2/scripts/
# caev2_base_300e.sh). Inherits mmpretrain's CAE v1 config for the data set, the AdamW + AMP optimiser (lr 1.5e-3
# absolute, betas (0.9, 0.999), weight decay 0.05 except biases / norms / 1-D parameters, grad clip 3.0), the
# 10-epoch linear warmup + cosine to 1e-5 schedule and find_unused_parameters; replaces the model, the teacher view's
# normalisation and the pipeline. See docs/cae_v2.md.
_base_ = 'mmpretrain::cae/cae_beit-base-p16_8xb256-amp-coslr-300e_in1k.py'

custom_imports = dict(imports=['mmext.pretrain'], allow_failed_imports=False)

# OpenAI CLIP ViT-B/16, the checkpoint the official code uses. The teacher never downloads: it reads the file of this
# name from torch's hub cache (~/.cache/torch/hub/checkpoints/ViT-B-16.pt, where mmengine caches weights) and, if it
# is missing, says how to fetch it. A local path (any OpenAI CLIP / open_clip checkpoint) works as well.
teacher_checkpoint = ('https://openaipublic.azureedge.net/clip/models/'
                      '5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f/ViT-B-16.pt')

# Second view: the same crop, normalised with CLIP's mean / std (x 255) for the teacher.
data_preprocessor = dict(
    second_mean=[122.770938, 116.746013, 104.093736], second_std=[68.500533, 66.632158, 70.323163])

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
    # 98 of 196 patches (50 %); Small 49, Tiny 30.
    dict(type='BlockwiseMaskGenerator', input_size=(14, 14), num_masking_patches=98, min_num_patches=16),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    _delete_=True,
    type='CAEv2',
    backbone=dict(
        type='CAEPretrainViT',
        arch='b',
        patch_size=16,
        bias='qv_bias',
        layer_scale_init_value=0.1,
        drop_path_rate=0.1),
    neck=dict(
        type='CAEv2Neck',
        in_dims=768,
        embed_dims=768,
        out_dims=512,
        regressor_depth=4,
        num_heads=12,
        drop_path_rate=0.1,
        layer_scale_init_value=0.1,
        num_patches=196),
    head=dict(type='CAEv2Head'),
    target_generator=dict(
        type='CLIPTeacher', arch='ViT-B/16', init_cfg=dict(type='Pretrained', checkpoint=teacher_checkpoint)))
