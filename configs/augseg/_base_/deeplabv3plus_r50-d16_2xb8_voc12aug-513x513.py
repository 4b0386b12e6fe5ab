# Supervised-only baseline (the papers' SupOnly rows) of the AugSeg and iMAS VOC configs, the settings of the official
# SupOnly training logs (docs/augseg.md, section 9): the DeepLabV3+ R-50 at output stride 16 of deeplabv3plus_os16.py
# with the logs' plain layer 4 (multi_grid False: dilations 1, 2, 2, which is mmseg's contract_dilation), trained on
# the labelled list alone with the semi-supervised configs' geometry (long side 500 * U(0.5, 2.0), flip, crop 513),
# 8 images per GPU on 2 GPUs (16), SGD lr 0.001 (decode head x10), momentum 0.9, wd 1e-4, poly 0.9 per iteration,
# whole-image validation every epoch, best checkpoint on val. The leaves give the split list (under data_root, see
# tools/dataset_converters/make_semi_splits.py) and the schedule: 80 epochs over the labelled list.
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py', './deeplabv3plus_os16.py']
custom_imports = dict(imports=['mmext.seg'], allow_failed_imports=False)

crop_size = (513, 513)
model = _base_.model
model.update(_base_.deeplabv3plus_os16)
model.update(dict(data_preprocessor=dict(size=crop_size), backbone=dict(multi_grid=None, contract_dilation=True)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(500, 500), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    dataset=dict(_base_.dataset_aug, _delete_=True, ann_file='splits/voc_classic/1464/labeled.txt',
                 pipeline=train_pipeline))
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'decode_head': dict(lr_mult=10.0)}))
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, by_epoch=False)]  # ends at max_iters
train_cfg = dict(type='IterBasedTrainLoop', max_iters=80 * 92, val_interval=92)  # leaves: 80 epochs
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000, max_keep_ckpts=1, save_best='mIoU', rule='greater'))
randomness = dict(seed=2)
