# SDN (single-scale) on mmseg's deeplabv3plus ResNet-101-D8 baseline
# (mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-160k_ade20k-512x512.py), as mmseg derives its own ResNet-101
# configs: the ResNet-50 SDN config with a deeper backbone and its ImageNet weights.
_base_ = './sdn-deeplabv3plus_r50-d8_4xb4-160k_ade20k-512x512.py'

model = dict(pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
