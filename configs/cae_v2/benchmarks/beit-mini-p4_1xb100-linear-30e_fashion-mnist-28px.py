# Toy linear probe on Fashion-MNIST, the evaluation half of the CAE v2 teacher comparison
# (tools/benchmarks/caev2_teacher_fashion_mnist.py): the encoder of
# configs/cae_v2/caev2_vit-mini-p4_mbv2-in1k-teacher_1xb128-5e_fashion-mnist-28px.py, frozen, read by mmpretrain's
# BEiTViT; its CLS token after the final norm goes through BatchNorm without affine + Linear (the official MAE-style
# probe), SGD. Trained on the 10,000 pre-training images, evaluated on all 10,000 test images. No augmentation, so
# that the script's cached-feature probe (features computed once, same neck, head and optimiser) is this config.
_base_ = ['mmpretrain::_base_/default_runtime.py', '../../_base_/datasets/fashion_mnist.py']

custom_imports = dict(imports=['mmext.pretrain'], allow_failed_imports=False)

num_train = 10000
max_epochs = 30
# The last checkpoint of the toy pre-training (or a random-init encoder saved by the comparison script).
pretrained = 'work_dirs/caev2_vit-mini-p4_mbv2-in1k-teacher_1xb128-5e_fashion-mnist-28px/epoch_5.pth'

data_preprocessor = dict(num_classes=10, mean=[72.94], std=[90.02], to_rgb=False)

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='BEiTViT',
        arch=dict(embed_dims=64, num_layers=4, num_heads=4, feedforward_channels=256),
        img_size=28,
        patch_size=4,
        in_channels=1,
        layer_scale_init_value=0.1,
        norm_cfg=dict(type='LN', eps=1e-6),
        use_abs_pos_emb=True,
        use_rel_pos_bias=False,
        frozen_stages=4,
        out_type='cls_token',
        final_norm=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(type='ClsBatchNormNeck', input_features=64),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss'),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.01)))

pipeline = [dict(type='PackInputs')]
train_dataloader = dict(batch_size=100, dataset=dict(indices=num_train, pipeline=pipeline))
val_dataloader = dict(dataset=dict(pipeline=pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.))
param_scheduler = [dict(type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=0, end=max_epochs,
                        convert_to_iter_based=True)]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20), checkpoint=dict(type='CheckpointHook', interval=max_epochs))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
