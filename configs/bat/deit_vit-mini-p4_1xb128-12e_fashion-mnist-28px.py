# The trained DeiT that the Fashion-MNIST BAT toy fine-tunes (the toy analogue of mmpretrain's DeiT checkpoint, which
# BAT's fine-tune recipe starts from): a 6-layer, 48-wide ViT (2 heads) with 4 x 4 patches on the 28 x 28 images
# (7 x 7 = 49 tokens: training from scratch at 196 tokens costs 4-5x more per step on a CPU), trained on all 60,000
# Fashion-MNIST training images for 12 epochs, no token reduction. The fine-tune config resizes its 7 x 7 position
# table to 14 x 14 and feeds 56 x 56 images (196 tokens, DeiT's count at 224 px), as DeiT fine-tunes at 384 px.
#   python tools/dataset_converters/fashion_mnist.py     # data/fashion_mnist, offline
#   python tools/train.py configs/bat/deit_vit-mini-p4_1xb128-12e_fashion-mnist-28px.py
_base_ = './bat_vit-mini-p4-kr0.7_1xb128-2e-ft_fashion-mnist-56px.py'

load_from = None
max_epochs = 12

model = dict(backbone=dict(img_size=28, keep_rate=1.0))
train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(indices=None, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=True, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=max_epochs))
