# AugSeg toy: the FCN of fcn_r18-w16-d8_1xb8-1k_synthetic-1-8-64x64.py as student and EMA teacher, 8 labelled (the
# first 50 training images) + 8 unlabelled (the other 350) images per step, 1k iterations on one CPU; the teacher is
# evaluated. Toy choices (not the paper's): EMA d0 = 0.99 (the paper's 0.999 is for ~50k iterations), AdamW of the
# SDN toy; everything else is AugSeg's (1-3 intensity ops, adaptive label-injecting CutMix, tau 0.95, lambda_u 1).
_base_ = './fcn_r18-w16-d8_1xb8-1k_synthetic-1-8-64x64.py'

num_unlabeled = _base_.num_images - _base_.num_labeled
batch_labeled = batch_unlabeled = 8
iters_per_epoch = num_unlabeled // batch_unlabeled  # one pass over the unlabelled images

model = dict(
    _delete_=True,
    type='AugSeg',
    segmentor=_base_.model,
    # The segmentor's SegDataPreProcessor (crop-size padding), applied to each branch.
    data_preprocessor=_base_.model.data_preprocessor,
    semi_train_cfg=dict(tau=0.95, unsup_weight=1.0))  # predictions (validation, test) from the teacher

branches = ['sup', 'unsup']
labeled = dict(
    type=_base_.dataset_type,
    data_root=_base_.data_root,
    split='train',
    num_samples=_base_.num_images,
    indices=list(range(_base_.num_labeled)),
    pipeline=[*_base_.labeled_pipeline,
              dict(type='mmdet.MultiBranch', branch_field=branches, sup=dict(type='PackSegInputs'))])
unlabeled = dict(
    type=_base_.dataset_type,
    data_root=_base_.data_root,
    split='train',
    num_samples=_base_.num_images,
    indices=list(range(_base_.num_labeled, _base_.num_images)),
    pipeline=[dict(type='LoadImageFromFile'), *_base_.geometry,
              dict(type='mmdet.MultiBranch', branch_field=branches, unsup=dict(type='PackSegInputs'))])
train_dataloader = dict(
    _delete_=True,
    batch_size=batch_labeled + batch_unlabeled,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='mmdet.MultiSourceSampler', batch_size=batch_labeled + batch_unlabeled,
                 source_ratio=[batch_labeled, batch_unlabeled]),
    dataset=dict(type='ConcatDataset', datasets=[labeled, unlabeled]))

custom_hooks = [dict(type='MeanTeacherEMAHook', momentum=0.01, copy_until_iter=iters_per_epoch)]
