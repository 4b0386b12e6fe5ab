# SDN (multi-scale) on mmseg's UPerNet ResNet-50 baseline
# (mmseg::upernet/upernet_r50_4xb2-80k_cityscapes-512x1024.py): level i is guided by level i+1, C5 by a stride-2 conv
# of itself; the SDC of levels wider than 256 channels works at 256.
_base_ = 'mmseg::upernet/upernet_r50_4xb2-80k_cityscapes-512x1024.py'
custom_imports = dict(imports=['mmext.seg'], allow_failed_imports=False)

model = dict(
    neck=dict(type='SDNNeck', in_channels=[256, 512, 1024, 2048], mode='multi_scale', reduce_channels=256))
