# Supervised toy of the semi-supervised scene protocol: the FCN of fcn_r18-w16-d8-pre_1xb8-4k_fashion-mnist-scenes-
# 128x128.py (narrow ResNet-18-V1c from its Fashion-MNIST classification training, output stride 8) on the
# Fashion-MNIST scenes (composited from real items) read at half resolution, 64 x 64, which puts the items back near
# their photographed 28 px (20-34 px) and costs a quarter of the 128 x 128 toy: the semi-supervised rows (3 seeds,
# 5 arms) fit one CPU session only at this size. Validation predicts at 64 x 64 and is scored against the 128 x 128
# labels (mmseg resizes the logits to the original shape). Labelled images get AugSeg's weak view only (random
# resize, crop, flip; no colour jitter), as the official supervised branch. All 1,000 training scenes labelled: the
# oracle row. Supervised-only rows: the _1-8_ / _1-16_ configs (the first N scenes; the scenes are i.i.d.).
_base_ = './fcn_r18-w16-d8-pre_1xb8-4k_fashion-mnist-scenes-128x128.py'

num_images = 1000
crop_size = (64, 64)
geometry = [
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
]
labeled_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), *geometry]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='LoadAnnotations'),  # after the resize: labels stay at 128 x 128
    dict(type='PackSegInputs'),
]
model = dict(data_preprocessor=dict(size=crop_size))
train_dataloader = dict(dataset=dict(pipeline=[*labeled_pipeline, dict(type='PackSegInputs')]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
