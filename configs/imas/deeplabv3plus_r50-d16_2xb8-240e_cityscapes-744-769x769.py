_base_ = './_base_/deeplabv3plus_r50-d16_2xb8_cityscapes-769x769.py'
# SupOnly on 744 labelled images; one epoch = floor(ceil(744 / 2 GPUs) / 8 per GPU) iterations.
split, epoch = 'splits/cityscapes/744', 46
train_dataloader = dict(dataset=dict(ann_file=f'{split}/labeled.txt'))
train_cfg = dict(max_iters=240 * epoch, val_interval=10 * epoch)
