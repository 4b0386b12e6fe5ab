# AugSeg (Zhao et al., CVPR 2023) on Cityscapes, the official release's settings (docs/augseg.md): the DeepLabV3+ R-50
# of deeplabv3plus_os16.py with OHEM (thresh 0.7, 100,000 pixels per batch of 4 = 25,000 per image, cross-entropy
# averaged over the kept pixels), 800x800 crops of
# the 1024x2048 images scaled by U(0.5, 2.0), 4 labelled + 4 unlabelled images per GPU on 4 GPUs (16 + 16), SGD lr
# 0.01, momentum 0.9, wd 5e-4, poly 0.9 per iteration, EMA d0 0.996 (teacher = student during the first epoch), no
# confidence threshold (the released configs' negative tau keeps every pixel), lambda_u 1, 1-3 random intensity ops,
# adaptive label-injecting CutMix, sliding-window validation (800, stride 533) of the teacher every 10 epochs. The
# leaves give the split lists (under data_root) and the schedule: 240 epochs over the unlabelled list.
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb2-80k_cityscapes-512x1024.py', './deeplabv3plus_os16.py']
custom_imports = dict(imports=['mmext.seg'], allow_failed_imports=False)

crop_size = (800, 800)
batch_labeled = batch_unlabeled = 4  # per GPU
segmentor = _base_.model
segmentor.update(_base_.deeplabv3plus_os16)
segmentor.update(
    dict(
        data_preprocessor=dict(size=crop_size),
        # The official OHEM averages the cross-entropy over the kept pixels (mmseg's CrossEntropyLoss would divide
        # by all labelled pixels).
        decode_head=dict(sampler=dict(type='OHEMPixelSampler', thresh=0.7, min_kept=25000),
                         loss_decode=dict(type='KeptPixelCrossEntropyLoss')),
        test_cfg=dict(mode='slide', crop_size=crop_size, stride=(533, 533))))
model = dict(
    _delete_=True,
    type='AugSeg',
    segmentor=segmentor,
    data_preprocessor=segmentor.data_preprocessor,
    semi_train_cfg=dict(tau=0.0, unsup_weight=1.0))  # predictions (validation, test) from the teacher

geometry = [
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
]
branches = ['sup', 'unsup']
labeled = dict(
    _base_.train_dataloader.dataset,
    ann_file='splits/cityscapes/1488/labeled.txt',
    pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), *geometry,
              dict(type='mmdet.MultiBranch', branch_field=branches, sup=dict(type='PackSegInputs'))])
unlabeled = dict(
    labeled,
    ann_file='splits/cityscapes/1488/unlabeled.txt',
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

optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, by_epoch=False)]  # ends at max_iters
train_cfg = dict(type='IterBasedTrainLoop', max_iters=240 * 93, val_interval=10 * 93)  # leaves: 240 epochs
custom_hooks = [dict(type='MeanTeacherEMAHook', momentum=0.004, warmup='inverse', copy_until_iter=93)]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000, max_keep_ckpts=1, save_best='mIoU', rule='greater'))
randomness = dict(seed=2)
