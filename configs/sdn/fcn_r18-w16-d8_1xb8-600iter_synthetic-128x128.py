# Toy baseline at 128 x 128 for the SDN comparison where the gate has room to act: the FCN head's input (output
# stride 8) is 16 x 16 and its +SDN twin guides it with a 16 x 16 map (a stride-1 guidance conv). At 64 x 64 the SDN
# level is 8 x 8 and its self-guidance 4 x 4, too coarse to hold a boundary. The embedded images have intra-class
# texture edges (two background textures meeting along a line, striped and checkered shapes) that a gate guided by
# low-level features would keep and a semantic gate should suppress. Twins: sdn-fcn_r18-w16-d8_1xb8-600iter_*.py.
_base_ = './fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py'

data_root = 'data/synthetic_shapes_128'
crop_size = (128, 128)
max_iters = 600

model = dict(data_preprocessor=dict(size=crop_size))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.9),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(data_root=data_root, image_size=128, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, image_size=128))
test_dataloader = val_dataloader

param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
