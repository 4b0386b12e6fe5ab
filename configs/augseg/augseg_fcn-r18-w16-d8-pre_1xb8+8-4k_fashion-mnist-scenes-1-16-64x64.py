# AugSeg on the 64 x 64 Fashion-MNIST scene toy (composited from real items) at 1/16 labels: the supervised-only row
# fcn_r18-w16-d8-pre_1xb8-4k_fashion-mnist-scenes-1-16-64x64.py (pretrained FCN, the first 1000/16 scenes labelled)
# as student and EMA teacher, with the other scenes unlabelled, 8 labelled + 8 unlabelled images per step, the same
# 4k iterations; the teacher is evaluated. AugSeg's own defaults throughout (1-3 intensity ops of random strength,
# adaptive label-injecting CutMix, tau 0.95, lambda_u 1, weak view = resize/crop/flip). EMA scaled to the schedule:
# the teacher copies the student for the first epoch over the unlabelled scenes (as the official code), then
# d0 = 0.99, an averaging window of ~100 iterations = 2.5 % of the schedule, as the paper's d0 = 0.999 is of its
# ~46k iterations (VOC, 80 epochs). The lambda_u = 0 control arm: --cfg-options model.semi_train_cfg.unsup_weight=0.
_base_ = './fcn_r18-w16-d8-pre_1xb8-4k_fashion-mnist-scenes-1-16-64x64.py'

batch_labeled = batch_unlabeled = 8
iters_per_epoch = (_base_.num_images - _base_.num_labeled) // batch_unlabeled  # one pass over the unlabelled scenes

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
    items_root=_base_.items_root,
    split='train',
    indices=list(range(_base_.num_labeled)),
    pipeline=[*_base_.labeled_pipeline,
              dict(type='mmdet.MultiBranch', branch_field=branches, sup=dict(type='PackSegInputs'))])
unlabeled = dict(
    type=_base_.dataset_type,
    data_root=_base_.data_root,
    items_root=_base_.items_root,
    split='train',
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
