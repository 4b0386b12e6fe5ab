# iMAS (Zhao et al., CVPR 2023) on Cityscapes, the settings of the official output-stride-8 training logs (the
# README's table; docs/imas.md): AugSeg's Cityscapes config (SGD lr 0.01, momentum 0.9, wd 5e-4, poly 0.9 per
# iteration, OHEM thresh 0.7, EMA d0 0.996 with teacher = student during the first epoch, seed 2) with iMAS's
# changes: DeepLabV3+ R-50 at output stride 8 (layers 3 and 4 dilated, multi-grid, ASPP 12/24/36) with an auxiliary
# FCN head on layer 3 (weight 0.4, OHEM too), 769x769 crops, 2 labelled + 2 unlabelled images per GPU on 8 GPUs
# (16 + 16), OHEM keeping at least 100,000 pixels per GPU batch of 2 (50,000 per image), tau 0.7, lambda_u 3, iMAS's
# unsupervised branch, sliding-window validation (769, stride 512) of the teacher every 10 epochs. The leaves give
# the split lists (under data_root) and the schedule: 240 epochs over the unlabelled list.
_base_ = ['../../augseg/_base_/augseg_deeplabv3plus_r50-d16_4xb4+4_cityscapes-800x800.py', './imas_cityscapes_heads.py']

crop_size = (769, 769)
batch_labeled = batch_unlabeled = 2  # per GPU
ohem = dict(type='OHEMPixelSampler', thresh=0.7, min_kept=50000)
model = dict(
    type='IMAS',
    data_preprocessor=dict(size=crop_size),
    segmentor=dict(
        data_preprocessor=dict(size=crop_size),
        # The official multi-grid (2, 2, 4) multiplies layer 4's dilation 2 (first block) and 4; mmseg's rates are
        # absolute. The first block of layer 3 keeps dilation 1 as in the official (torchvision) ResNet through the
        # contract_dilation=True of mmseg's DeepLabV3+ base config.
        backbone=dict(strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), multi_grid=(4, 8, 16)),
        decode_head=dict(dilations=(1, 12, 24, 36), sampler=ohem),
        auxiliary_head=dict(_base_.imas_auxiliary_head, _delete_=True, sampler=ohem),  # AugSeg has none
        test_cfg=dict(crop_size=crop_size, stride=(512, 512))),
    semi_train_cfg=dict(tau=0.7, unsup_weight=3.0))

# AugSeg's pipelines with the 769 crop (the first steps load, the last packs the MultiBranch sample).
geometry = [
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
]
labeled = dict(_base_.labeled, pipeline=[*_base_.labeled.pipeline[:2], *geometry, _base_.labeled.pipeline[-1]])
unlabeled = dict(_base_.unlabeled, pipeline=[_base_.unlabeled.pipeline[0], *geometry, _base_.unlabeled.pipeline[-1]])
train_dataloader = dict(
    batch_size=batch_labeled + batch_unlabeled,
    sampler=dict(batch_size=batch_labeled + batch_unlabeled, source_ratio=[batch_labeled, batch_unlabeled]),
    dataset=dict(datasets=[labeled, unlabeled]))
