_base_ = './_base_/imas_deeplabv3plus_r50-d16_4xb4+4_cityscapes-769x769.py'
# 744 labelled images; one epoch = floor(ceil(2,231 unlabelled / 4 GPUs) / 4 per GPU) = 139 iterations.
split = 'splits/cityscapes/744'
train_dataloader = dict(dataset=dict(datasets=[dict(_base_.labeled, ann_file=f'{split}/labeled.txt'),
                                               dict(_base_.unlabeled, ann_file=f'{split}/unlabeled.txt')]))
train_cfg = dict(max_iters=240 * 139, val_interval=10 * 139)
custom_hooks = [dict(_base_.custom_hooks[0], copy_until_iter=139)]
