# DeepLabV3+ as AugSeg's official network (docs/augseg.md, section 7), as changes to mmseg's DeepLabV3+: output stride
# 16 (layer4 dilated) with multi-grid (2, 4, 8) (the official (2, 2, 4) multiplies the layer's dilation 2; mmseg's
# rates are absolute), ASPP rates 6/12/18 at 256 channels, 48-channel low-level projection, no dropout, no auxiliary
# head, align_corners=True (the official network resizes so), and a supervised cross-entropy averaged over the labelled
# (non-ignored) pixels like torch's CrossEntropyLoss(ignore_index=255) of the official code (mmseg averages over all
# pixels unless avg_non_ignore=True). mmseg's stem and ImageNet weights are kept; the official deep stem (64-64-128)
# would be backbone.stem_channels=128 with the official weights converted to mmseg's keys.
deeplabv3plus_os16 = dict(
    backbone=dict(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2), multi_grid=(2, 4, 8)),
    decode_head=dict(dilations=(1, 6, 12, 18), channels=256, c1_channels=48, dropout_ratio=0.0, align_corners=True,
                     loss_decode=dict(avg_non_ignore=True)),
    auxiliary_head=None)
