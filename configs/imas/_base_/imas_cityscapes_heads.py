# iMAS's Cityscapes auxiliary head (the official Aux_Module: 3x3 conv 1024 -> 256 on layer 3, BN, ReLU, 1x1 to the
# classes, no dropout), weight 0.4, with its own OHEM averaged over the kept pixels as the official CriterionOhem.
# The including config sets its sampler (min_kept per image = 100,000 / images per GPU).
imas_auxiliary_head = dict(
    type='FCNHead',
    in_channels=1024,
    in_index=2,
    channels=256,
    num_convs=1,
    concat_input=False,
    dropout_ratio=0.0,
    num_classes=19,
    norm_cfg=dict(type='SyncBN', requires_grad=True),
    align_corners=True,
    loss_decode=dict(type='KeptPixelCrossEntropyLoss', loss_weight=0.4))
