_base_ = './_base_/imas_deeplabv3plus_r50-d16_4xb4+4_voc12aug-513x513.py'
# 5,291 labelled images; one epoch = floor(ceil(5,291 unlabelled / 4 GPUs) / 4 per GPU) = 330 iterations.
split = 'splits/voc_blended/5291'
train_dataloader = dict(dataset=dict(datasets=[dict(_base_.labeled, ann_file=f'{split}/labeled.txt'),
                                               dict(_base_.unlabeled, ann_file=f'{split}/unlabeled.txt')]))
train_cfg = dict(max_iters=80 * 330, val_interval=330)
custom_hooks = [dict(_base_.custom_hooks[0], copy_until_iter=330)]
