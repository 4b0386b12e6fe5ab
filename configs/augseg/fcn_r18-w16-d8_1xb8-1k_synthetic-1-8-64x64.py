# Supervised-only baseline of the AugSeg toy: the SDN toy FCN (narrow ResNet-18-V1c, output stride 8, from scratch)
# trained on the labelled 1/8 of the embedded synthetic shapes (the first 50 of the 400 training images) with AugSeg's
# weak geometry only (random resize, crop, flip), for the iterations and labelled batch of its AugSeg twin
# augseg_fcn-r18-w16-d8_1xb8+8-1k_synthetic-1-8-64x64.py. The synthetic images are i.i.d., so the first 50 are as
# random a labelled subset as any.
_base_ = '../sdn/fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py'

num_images = 400
num_labeled = num_images // 8
crop_size = (64, 64)
geometry = [
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
]
labeled_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), *geometry]
train_dataloader = dict(
    dataset=dict(num_samples=num_images, indices=list(range(num_labeled)),
                 pipeline=[*labeled_pipeline, dict(type='PackSegInputs')]))
