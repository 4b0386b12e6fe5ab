# iMAS (Zhao et al., CVPR 2023) on Cityscapes, the settings of the official output-stride-16 training logs
# (docs/imas.md, section 6): the output-stride-8 config with AugSeg's network (layer 4 dilated, multi-grid (2, 4, 8),
# ASPP 6/12/18, auxiliary FCN head on layer 3) and 4 labelled + 4 unlabelled images per GPU on 4 GPUs (16 + 16), so
# OHEM keeps at least 100,000 pixels per GPU batch of 4 (25,000 per image). The leaves give the split lists (under
# data_root) and the schedule: 240 epochs of floor(ceil(N_u / 4 GPUs) / 4) iterations.
_base_ = './imas_deeplabv3plus_r50-d8_8xb2+2_cityscapes-769x769.py'

batch_labeled = batch_unlabeled = 4  # per GPU
ohem = dict(type='OHEMPixelSampler', thresh=0.7, min_kept=25000)
model = dict(
    segmentor=dict(
        backbone=dict(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2), multi_grid=(2, 4, 8)),
        decode_head=dict(dilations=(1, 6, 12, 18), sampler=ohem),
        auxiliary_head=dict(sampler=ohem)))
train_dataloader = dict(
    batch_size=batch_labeled + batch_unlabeled,
    sampler=dict(batch_size=batch_labeled + batch_unlabeled, source_ratio=[batch_labeled, batch_unlabeled]))
