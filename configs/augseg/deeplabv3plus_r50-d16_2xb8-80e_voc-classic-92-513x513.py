_base_ = './_base_/deeplabv3plus_r50-d16_2xb8_voc12aug-513x513.py'
# SupOnly, 92 labelled images (classic split); one epoch = ceil(ceil(92 / 2 GPUs) / 8 per GPU) iterations.
split, epoch = 'splits/voc_classic/92', 6
train_dataloader = dict(dataset=dict(ann_file=f'{split}/labeled.txt'))
train_cfg = dict(max_iters=80 * epoch, val_interval=epoch)
