_base_ = './_base_/augseg_deeplabv3plus_r50-d16_4xb4+4_cityscapes-800x800.py'
# 744 labelled images; one epoch = floor(ceil(2,231 unlabelled / 4 GPUs) / 4 per GPU) iterations.
split, epoch = 'splits/cityscapes/744', 139
train_dataloader = dict(dataset=dict(datasets=[dict(_base_.labeled, ann_file=f'{split}/labeled.txt'),
                                               dict(_base_.unlabeled, ann_file=f'{split}/unlabeled.txt')]))
train_cfg = dict(max_iters=240 * epoch, val_interval=10 * epoch)
custom_hooks = [dict(_base_.custom_hooks[0], copy_until_iter=epoch)]
