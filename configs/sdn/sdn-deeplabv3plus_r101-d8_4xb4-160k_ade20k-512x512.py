# SDN (single-scale) on mmseg's deeplabv3plus ResNet-101-D8 baseline
# (mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-160k_ade20k-512x512.py); data_root and load_from are set in the
# ResNet-50 config this one inherits.
_base_ = './sdn-deeplabv3plus_r50-d8_4xb4-160k_ade20k-512x512.py'

checkpoint = 'pretrain/resnet101_v1c.pth'  # ImageNet ResNet-101-V1c; None trains the backbone from scratch

model = dict(pretrained=checkpoint, backbone=dict(depth=101))
