# Toy +SDN twin of fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py: identical except for one single-scale SDN block on the
# FCN head's input level (128 channels, 8x8 at 64x64 input), guided by a stride-2 conv of itself.
_base_ = './fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py'

model = dict(
    neck=dict(type='SDNNeck', in_channels=[16, 32, 64, 128], mode='single_scale', levels=[3],
              norm_cfg=dict(type='BN', requires_grad=True)))
