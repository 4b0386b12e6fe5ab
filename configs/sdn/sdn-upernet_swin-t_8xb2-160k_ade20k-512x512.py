# SDN (multi-scale, full width) on mmseg's UPerNet Swin-T baseline
# (mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py); shapes as in sdn.md §5.
_base_ = 'mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py'
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)

data_root = 'data/ade/ADEChallengeData2016'
checkpoint = 'pretrain/swin_tiny_patch4_window7_224.pth'  # ImageNet-1k Swin-T in mmseg's key layout
load_from = None
checkpoint_file = checkpoint  # the base config's variable holds a download URL; keep the dumped config offline

model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=checkpoint)),
    neck=dict(type='SDNNeck', in_channels=[96, 192, 384, 768], mode='multi_scale'))
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
