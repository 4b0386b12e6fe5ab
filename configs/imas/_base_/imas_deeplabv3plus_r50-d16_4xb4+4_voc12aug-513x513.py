# iMAS (Zhao et al., CVPR 2023) on PASCAL VOC 2012 (+SBD), the settings of the official training logs (docs/imas.md):
# AugSeg's VOC config (the same DeepLabV3+ R-50 at output stride 16, 513x513 crops, SGD lr 0.001 with the decode head
# x10, momentum 0.9, wd 1e-4, poly 0.9 per iteration, tau 0.95, teacher = student during the first epoch, whole-image
# validation of the teacher, seed 2) with iMAS's changes: 4 labelled + 4 unlabelled images per GPU on 4 GPUs
# (16 + 16), EMA d0 0.996, lambda_u 3 and iMAS's unsupervised branch (hardness-weighted loss, 2 of 12 intensity ops
# blended with the weak view by hardness, CutMix gated by the mean hardness). The leaves give the split lists (under
# data_root, see tools/dataset_converters/make_semi_splits.py) and the schedule: 80 epochs over the unlabelled list.
_base_ = '../../augseg/_base_/augseg_deeplabv3plus_r50-d16_2xb8+8_voc12aug-513x513.py'

batch_labeled = batch_unlabeled = 4  # per GPU
model = dict(type='IMAS', semi_train_cfg=dict(tau=0.95, unsup_weight=3.0))
train_dataloader = dict(
    batch_size=batch_labeled + batch_unlabeled,
    sampler=dict(batch_size=batch_labeled + batch_unlabeled, source_ratio=[batch_labeled, batch_unlabeled]))
custom_hooks = [dict(_base_.custom_hooks[0], momentum=0.004)]
