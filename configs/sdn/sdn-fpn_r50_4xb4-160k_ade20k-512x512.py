# SDN (multi-scale) on mmseg's Semantic FPN ResNet-50 baseline (mmseg::sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py).
# SDN refines the backbone features before the baseline's own FPN, which is part of the (unchanged) decoder.
_base_ = 'mmseg::sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py'
custom_imports = dict(imports=['mmext.seg'], allow_failed_imports=False)

model = dict(
    neck=dict(
        _delete_=True,
        type='SequentialNeck',
        necks=[
            dict(type='SDNNeck', in_channels=[256, 512, 1024, 2048], mode='multi_scale', reduce_channels=256),
            dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=4),
        ]))
