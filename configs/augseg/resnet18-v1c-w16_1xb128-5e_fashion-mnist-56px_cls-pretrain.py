# The toy analogue of the papers' ImageNet-pretrained backbone for the segmentation toys on the Fashion-MNIST scenes:
# the segmentors' narrow ResNet-18-V1c (stem/base width 16, mmseg's ResNetV1c, built here across scopes) trained to
# classify Fashion-MNIST items, at 56 x 56 (the items' size in the 128 x 128 scenes is 39-67 px), on all 60,000
# training images, 5 epochs. Grey images enter as 3 equal channels (the data preprocessor's 3-channel mean broadcasts
# the single channel) with the segmentors' normalisation. The scene toys load its backbone with
# init_cfg=dict(type='Pretrained', checkpoint='work_dirs/<this config>/epoch_5.pth', prefix='backbone.').
#   python tools/dataset_converters/fashion_mnist.py
#   python tools/train.py configs/augseg/resnet18-v1c-w16_1xb128-5e_fashion-mnist-56px_cls-pretrain.py
_base_ = ['mmpretrain::_base_/default_runtime.py', '../_base_/datasets/fashion_mnist.py']

custom_imports = dict(imports=['mmext.pretrain'], allow_failed_imports=False)

max_epochs = 5

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmseg.ResNetV1c', depth=18, stem_channels=16, base_channels=16, out_indices=(3, ),
        norm_cfg=dict(type='BN', requires_grad=True)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=128, loss=dict(type='CrossEntropyLoss')))

data_preprocessor = dict(
    num_classes=10, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=False)
train_pipeline = [
    dict(type='Resize', scale=(56, 56), interpolation='bilinear'),
    dict(type='RandomResizedCrop', scale=56, crop_ratio_range=(0.6, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='Resize', scale=(56, 56), interpolation='bilinear'), dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=True, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(type='LoggerHook', interval=50),
                     checkpoint=dict(type='CheckpointHook', interval=max_epochs))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
