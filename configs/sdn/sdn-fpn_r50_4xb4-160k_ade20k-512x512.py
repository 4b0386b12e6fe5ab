# SDN (multi-scale) on mmseg's Semantic FPN ResNet-50 baseline (mmseg::sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py).
# SDN refines the backbone features before the baseline's own FPN, which is part of the (unchanged) decoder.
_base_ = 'mmseg::sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py'
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)

data_root = 'data/ade/ADEChallengeData2016'
checkpoint = 'pretrain/resnet50_v1c.pth'  # ImageNet ResNet-50-V1c; None trains the backbone from scratch
load_from = None

model = dict(
    pretrained=checkpoint,
    neck=dict(
        _delete_=True,
        type='SequentialNeck',
        necks=[
            dict(type='SDNNeck', in_channels=[256, 512, 1024, 2048], mode='multi_scale', reduce_channels=256),
            dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=4),
        ]))
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
