_base_ = './deeplabv3plus_r50-d16_2xb8-240e_cityscapes-744-769x769.py'
model = dict(pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
