# BAT on real images, CPU-sized, in BAT's fine-tune setting: the trained DeiT of
# deit_vit-mini-p4_1xb128-12e_fashion-mnist-28px.py (6 layers, 48 wide, 2 heads, 4 x 4 patches) fine-tuned on 56 x 56
# Fashion-MNIST images (28 x 28 grey clothing photos resized, 10 classes), so the token grid is 14 x 14 = 196 patch
# tokens, DeiT's count at 224 px (the 7 x 7 position table is resized bicubically on load, as mmpretrain does for
# DeiT at 384 px). Reduction at layers 1 and 3 (1/6 and 1/2 of the depth; DeiT-S reduces at 1/4, 1/2, 3/4):
# 197 -> 139 -> 98 tokens at keep rate 0.7, fixed from the first iteration (BAT's fine-tune recipe). Fine-tuned on the
# first 10,000 training images for 2 epochs, evaluated on all 10,000 test images. Protocol and results:
# configs/bat/README.md.
#   python tools/train.py configs/bat/deit_vit-mini-p4_1xb128-12e_fashion-mnist-28px.py    # the DeiT, once
#   python tools/train.py configs/bat/bat_vit-mini-p4-kr0.7_1xb128-2e-ft_fashion-mnist-56px.py \
#       --cfg-options model.backbone.keep_rate=1.0   # the DeiT control; model.backbone.mode=evit / tome: the anchors
_base_ = ['mmpretrain::_base_/default_runtime.py', '../_base_/datasets/fashion_mnist.py']

custom_imports = dict(imports=['mmext.pretrain'], allow_failed_imports=False)

keep_rate = 0.7
num_train = 10000
max_epochs = 2
load_from = 'work_dirs/deit_vit-mini-p4_1xb128-12e_fashion-mnist-28px/epoch_12.pth'

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='BATViT',
        arch=dict(embed_dims=48, num_layers=6, num_heads=2, feedforward_channels=192),
        img_size=56,
        patch_size=4,
        in_channels=1,
        reduce_layers=(1, 3),
        keep_rate=keep_rate),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=48,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=.02),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ])

# Fashion-MNIST's pixel mean and std (0-255 scale) of the training images.
data_preprocessor = dict(num_classes=10, mean=[72.94], std=[90.02], to_rgb=False)
train_pipeline = [
    dict(type='Resize', scale=(56, 56), interpolation='bicubic'),
    dict(type='RandomCrop', crop_size=56, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='Resize', scale=(56, 56), interpolation='bicubic'), dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(indices=num_train, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05), clip_grad=dict(max_norm=5.0))
param_scheduler = [dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, end=max_epochs,
                        convert_to_iter_based=True)]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(logger=dict(type='LoggerHook', interval=20),
                     checkpoint=dict(type='CheckpointHook', interval=max_epochs))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
