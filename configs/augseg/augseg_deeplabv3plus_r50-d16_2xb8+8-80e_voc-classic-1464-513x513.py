_base_ = './_base_/augseg_deeplabv3plus_r50-d16_2xb8+8_voc12aug-513x513.py'
# 1464 labelled images; one epoch = floor(ceil(9,118 unlabelled / 2 GPUs) / 8 per GPU) iterations.
split, epoch = 'splits/voc_classic/1464', 569
train_dataloader = dict(dataset=dict(datasets=[dict(_base_.labeled, ann_file=f'{split}/labeled.txt'),
                                               dict(_base_.unlabeled, ann_file=f'{split}/unlabeled.txt')]))
train_cfg = dict(max_iters=80 * epoch, val_interval=epoch)
custom_hooks = [dict(_base_.custom_hooks[0], copy_until_iter=epoch)]
