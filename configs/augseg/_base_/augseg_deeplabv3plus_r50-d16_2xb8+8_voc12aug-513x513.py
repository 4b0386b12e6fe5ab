# AugSeg (Zhao et al., CVPR 2023) on PASCAL VOC 2012 (+SBD), the official release's settings (docs/augseg.md): the
# DeepLabV3+ R-50 of deeplabv3plus_os16.py, 513x513 crops, 8 labelled + 8 unlabelled images per GPU on 2 GPUs
# (16 + 16), SGD lr 0.001 (decode head x10), momentum 0.9, wd 1e-4, poly 0.9 per iteration, EMA d0 0.999 (teacher =
# student during the first epoch), tau 0.95, lambda_u 1, 1-3 random intensity ops, adaptive label-injecting CutMix,
# whole-image validation of the teacher. The leaves give the split lists (under data_root, see
# tools/dataset_converters/make_semi_splits.py) and the schedule: 80 epochs over the unlabelled list.
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py', './deeplabv3plus_os16.py']
custom_imports = dict(imports=['mmext.seg'], allow_failed_imports=False)

crop_size = (513, 513)
batch_labeled = batch_unlabeled = 8  # per GPU
segmentor = _base_.model
segmentor.update(_base_.deeplabv3plus_os16)
segmentor.data_preprocessor.size = crop_size
model = dict(
    _delete_=True,
    type='AugSeg',
    segmentor=segmentor,
    data_preprocessor=segmentor.data_preprocessor,
    semi_train_cfg=dict(tau=0.95, unsup_weight=1.0))  # predictions (validation, test) from the teacher

# Long side 500 * U(0.5, 2.0), flip, crop 513 (padded to 513 by the data preprocessor); no photometric change: the
# strong view's intensity ops are applied to the unlabelled batch inside the model.
geometry = [
    dict(type='RandomResize', scale=(500, 500), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
]
branches = ['sup', 'unsup']
labeled = dict(
    _base_.dataset_aug,
    ann_file='splits/voc_classic/1464/labeled.txt',
    pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), *geometry,
              dict(type='mmdet.MultiBranch', branch_field=branches, sup=dict(type='PackSegInputs'))])
unlabeled = dict(
    labeled,
    ann_file='splits/voc_classic/1464/unlabeled.txt',
    pipeline=[dict(type='LoadImageFromFile'), *geometry,
              dict(type='mmdet.MultiBranch', branch_field=branches, unsup=dict(type='PackSegInputs'))])
train_dataloader = dict(
    _delete_=True,
    batch_size=batch_labeled + batch_unlabeled,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='mmdet.MultiSourceSampler', batch_size=batch_labeled + batch_unlabeled,
                 source_ratio=[batch_labeled, batch_unlabeled]),
    dataset=dict(type='ConcatDataset', datasets=[labeled, unlabeled]))
# Whole image at its own size (the official validation; mmseg's VOC test pipeline resizes to 2048x512).
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'student.decode_head': dict(lr_mult=10.0)}))
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, by_epoch=False)]  # ends at max_iters
train_cfg = dict(type='IterBasedTrainLoop', max_iters=80 * 569, val_interval=569)  # leaves: 80 epochs
custom_hooks = [dict(type='MeanTeacherEMAHook', momentum=0.001, warmup='inverse', copy_until_iter=569)]
# The papers report the best teacher over training (selected on val); add val_cfg=dict(type=
# 'mmdet.TeacherStudentValLoop') to evaluate the student too (metrics teacher/mIoU, student/mIoU).
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000, max_keep_ckpts=1, save_best='mIoU', rule='greater'))
randomness = dict(seed=2)
