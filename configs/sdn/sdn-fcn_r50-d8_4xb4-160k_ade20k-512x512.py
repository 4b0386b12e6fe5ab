# SDN (single-scale) on mmseg's fcn ResNet-50-D8 baseline: one SDN block on the head's input level (C5, 2048 ch) with
# the SDC at 512 channels (docs/sdn.md §5: full width would add ~84 M parameters). Baseline:
# mmseg::fcn/fcn_r50-d8_4xb4-160k_ade20k-512x512.py
_base_ = 'mmseg::fcn/fcn_r50-d8_4xb4-160k_ade20k-512x512.py'
custom_imports = dict(imports=['mmext.seg'], allow_failed_imports=False)

model = dict(
    neck=dict(type='SDNNeck', in_channels=[256, 512, 1024, 2048], mode='single_scale', levels=[3],
              reduce_channels=512))
