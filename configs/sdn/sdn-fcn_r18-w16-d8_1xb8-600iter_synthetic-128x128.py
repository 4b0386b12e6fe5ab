# Toy +SDN twin of fcn_r18-w16-d8_1xb8-600iter_synthetic-128x128.py: identical except for one single-scale SDN block
# on the FCN head's input level (128 channels, 16 x 16 at 128 x 128 input), guided by a stride-1 3x3 conv of itself
# (16 x 16 guidance; the paper's stride-2 conv would give 8 x 8).
_base_ = './fcn_r18-w16-d8_1xb8-600iter_synthetic-128x128.py'

model = dict(
    neck=dict(type='SDNNeck', in_channels=[16, 32, 64, 128], mode='single_scale', levels=[3],
              guidance_conv_cfg=dict(stride=1), norm_cfg=dict(type='BN', requires_grad=True)))
