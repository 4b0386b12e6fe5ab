"""``DeepLabV3PlusHead``: the DeepLabV3+ decoder of the official AugSeg / iMAS code (and of CPS / U2PL, whose network
they reuse), on mmseg's ``ASPPHead`` (docs/augseg.md, section 7).

This module imports ``mmseg.models`` (and therefore mmdet): ``mmext.seg`` registers the class by name and imports
the module when a config builds the head (``mmext/seg/models/deferred.py``).
"""
from typing import List

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads import ASPPHead
from mmseg.models.utils import resize
from torch import Tensor


class DeepLabV3PlusHead(ASPPHead):
    """DeepLabV3+ with standard convolutions and a 1x1 ASPP projection, as the official AugSeg / iMAS decoder.

    It takes the arguments of mmseg's ``DepthwiseSeparableASPPHead`` (``c1_in_channels``, ``c1_channels``,
    ``dilations``, ...), so ``decode_head.type='DeepLabV3PlusHead'`` swaps the decoder of a config. Against mmseg's
    head: the ASPP branches are standard 3x3 dilated convolutions (mmseg: depthwise-separable), the projection of the
    concatenated branches is a 1x1 convolution (mmseg: 3x3), the two fusion convolutions are standard 3x3 (mmseg:
    depthwise-separable), and the low-level features come first in the concatenation. The official low-level 1x1
    convolution also has a bias before its batch norm, which the norm cancels; it is left out.

    Args:
        c1_in_channels (int): channels of the low-level feature (``inputs[0]``), > 0.
        c1_channels (int): channels of its 1x1 projection (48 in the official code), > 0.
        bottleneck_kernel_size (int): kernel of the ASPP projection: 1 (official) or 3 (mmseg's ``ASPPHead``).
        **kwargs: mmseg ``ASPPHead`` arguments (``dilations``, ``in_channels``, ``channels``, ...).
    """

    def __init__(self, c1_in_channels: int, c1_channels: int, bottleneck_kernel_size: int = 1, **kwargs):
        if c1_in_channels <= 0 or c1_channels <= 0:
            raise ValueError(f'DeepLabV3PlusHead needs the low-level branch: got c1_in_channels={c1_in_channels}, '
                             f'c1_channels={c1_channels}; set both > 0 (official: 256 and 48), or use mmseg\'s '
                             'ASPPHead for a decoder without it')
        if bottleneck_kernel_size not in (1, 3):
            raise ValueError(f'bottleneck_kernel_size must be 1 (official) or 3 (mmseg), got {bottleneck_kernel_size}')
        super().__init__(**kwargs)
        conv = dict(conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        self.bottleneck = ConvModule((len(self.dilations) + 1) * self.channels, self.channels, bottleneck_kernel_size,
                                     padding=bottleneck_kernel_size // 2, **conv)
        self.c1_bottleneck = ConvModule(c1_in_channels, c1_channels, 1, **conv)
        self.fuse = nn.Sequential(
            ConvModule(c1_channels + self.channels, self.channels, 3, padding=1, **conv),
            ConvModule(self.channels, self.channels, 3, padding=1, **conv))

    def forward(self, inputs: List[Tensor]) -> Tensor:
        aspp = self._forward_feature(inputs)  # ASPP branches and their projection (ASPPHead's)
        low = self.c1_bottleneck(inputs[0])
        aspp = resize(aspp, size=low.shape[2:], mode='bilinear', align_corners=self.align_corners)
        return self.cls_seg(self.fuse(torch.cat([low, aspp], dim=1)))
