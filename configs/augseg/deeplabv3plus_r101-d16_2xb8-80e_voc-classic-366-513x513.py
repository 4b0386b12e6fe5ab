_base_ = './deeplabv3plus_r50-d16_2xb8-80e_voc-classic-366-513x513.py'
model = dict(pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
