# SDN (multi-scale, full width) on mmseg's UPerNet Swin-T baseline
# (mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py); placement as in docs/sdn.md §4.
_base_ = 'mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py'
custom_imports = dict(imports=['mmext.seg'], allow_failed_imports=False)

model = dict(
    neck=dict(type='SDNNeck', in_channels=[96, 192, 384, 768], mode='multi_scale'))
