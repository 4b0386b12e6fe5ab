# SDN (single-scale) on mmseg's deeplabv3plus ResNet-50-D8 baseline: one SDN block on the head's input level (C5, 2048
# ch) with the SDC at 512 channels (sdn.md §12: full width would add ~84 M parameters). Baseline:
# mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb2-80k_cityscapes-512x1024.py
_base_ = 'mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb2-80k_cityscapes-512x1024.py'
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)

data_root = 'data/cityscapes/'
checkpoint = 'pretrain/resnet50_v1c.pth'  # ImageNet ResNet-50-V1c; None trains the backbone from scratch
load_from = None

model = dict(
    pretrained=checkpoint,
    neck=dict(type='SDNNeck', in_channels=[256, 512, 1024, 2048], mode='single_scale', levels=[3],
              reduce_channels=512))
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
