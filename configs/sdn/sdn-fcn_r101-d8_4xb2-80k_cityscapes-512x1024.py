# SDN (single-scale) on mmseg's fcn ResNet-101-D8 baseline (mmseg::fcn/fcn_r101-d8_4xb2-80k_cityscapes-512x1024.py),
# as mmseg derives its own ResNet-101 configs: the ResNet-50 SDN config with a deeper backbone and its ImageNet weights.
_base_ = './sdn-fcn_r50-d8_4xb2-80k_cityscapes-512x1024.py'

model = dict(pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
