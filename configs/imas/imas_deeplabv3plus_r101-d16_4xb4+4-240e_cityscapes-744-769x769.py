_base_ = './imas_deeplabv3plus_r50-d16_4xb4+4-240e_cityscapes-744-769x769.py'
model = dict(segmentor=dict(pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101)))
