# Supervised-only baseline (the SupOnly rows) of the iMAS Cityscapes configs, the settings of iMAS's SupOnly training
# logs (docs/imas.md, section 6): AugSeg's SupOnly Cityscapes config (DeepLabV3+ R-50 at output stride 16 with a plain
# layer 4, OHEM averaged over the kept pixels, SGD lr 0.01, 8 images per GPU on 2 GPUs) with iMAS's auxiliary FCN head
# on layer 3 (weight 0.4, its own OHEM), 769x769 crops and sliding-window validation (769, stride 512) every 10 epochs.
# The leaves give the split list (under data_root) and the schedule: 240 epochs of floor(ceil(N / 2 GPUs) / 8)
# iterations (iMAS's loader drops the last batch).
_base_ = ['../../augseg/_base_/deeplabv3plus_r50-d16_2xb8_cityscapes-800x800.py', './imas_cityscapes_heads.py']

crop_size = (769, 769)
model = dict(
    data_preprocessor=dict(size=crop_size),
    auxiliary_head=dict(_base_.imas_auxiliary_head, _delete_=True, sampler=_base_.ohem),
    test_cfg=dict(crop_size=crop_size, stride=(512, 512)))
train_pipeline = [*_base_.train_pipeline[:4], dict(type='RandomCrop', crop_size=crop_size), dict(type='PackSegInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
