# Supervised-only baseline (the SupOnly rows) of the AugSeg Cityscapes configs, the settings of AugSeg's SupOnly
# training logs (docs/augseg.md, section 9): the DeepLabV3+ R-50 at output stride 16 of deeplabv3plus_os16.py with
# the logs' plain layer 4 (multi_grid False: dilations 1, 2, 2, mmseg's contract_dilation), OHEM (thresh 0.7,
# 100,000 pixels per GPU batch of 8 = 12,500 per image, cross-entropy averaged over the kept pixels), trained on the
# labelled list alone with the semi-supervised configs' geometry (1024x2048 scaled by U(0.5, 2.0), flip, crop 800),
# 8 images per GPU on 2 GPUs (16), SGD lr 0.01, momentum 0.9, wd 5e-4, poly 0.9 per iteration, sliding-window
# validation (800, stride 533) every 10 epochs, best checkpoint on val. The leaves give the split list (under
# data_root) and the schedule: 240 epochs of ceil(ceil(N / 2 GPUs) / 8) iterations (the loader keeps the last batch).
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb2-80k_cityscapes-512x1024.py', './deeplabv3plus_os16.py']
custom_imports = dict(imports=['mmext.seg'], allow_failed_imports=False)

crop_size = (800, 800)
ohem = dict(type='OHEMPixelSampler', thresh=0.7, min_kept=12500)
model = _base_.model
model.update(_base_.deeplabv3plus_os16)
model.update(
    dict(
        data_preprocessor=dict(size=crop_size),
        backbone=dict(multi_grid=None, contract_dilation=True),
        decode_head=dict(sampler=ohem, loss_decode=dict(type='KeptPixelCrossEntropyLoss')),
        test_cfg=dict(mode='slide', crop_size=crop_size, stride=(533, 533))))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=4, dataset=dict(ann_file='splits/cityscapes/1488/labeled.txt', pipeline=train_pipeline))

optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, by_epoch=False)]  # ends at max_iters
train_cfg = dict(type='IterBasedTrainLoop', max_iters=240 * 93, val_interval=10 * 93)  # leaves: 240 epochs
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000, max_keep_ckpts=1, save_best='mIoU', rule='greater'))
randomness = dict(seed=2)
