"""DeepLabV3PlusHead against the official AugSeg / iMAS decoder: parameter count by hand and a functional
re-implementation of the official forward (standard convolutions, 1x1 projection, low-level features first)."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

import mmext.seg  # noqa: F401


def build(**kwargs):
    cfg = dict(type='DeepLabV3PlusHead', in_channels=2048, in_index=3, channels=256, c1_in_channels=256,
               c1_channels=48, dilations=(1, 6, 12, 18), dropout_ratio=0.0, num_classes=21,
               norm_cfg=dict(type='BN', requires_grad=True), align_corners=True)
    cfg.update(kwargs)
    with DefaultScope.overwrite_default_scope('mmseg'):
        return MODELS.build(cfg)


def test_parameter_count_is_the_official_decoders():
    """Official: ASPP of a pooled 1x1, a 1x1 and three 3x3 convs 2048 -> 256 (+BN), 1x1 projection 1280 -> 256, low
    1x1 256 -> 48, two 3x3 convs 304 -> 256 -> 256, classifier 256 -> 21 (+bias); minus the official low-level bias
    (48), which its batch norm cancels."""
    head = build()
    official = (2 * (2048 * 256 + 512) + 3 * (2048 * 256 * 9 + 512) + 1280 * 256 + 512 + 256 * 48 + 48 + 96
                + 304 * 256 * 9 + 512 + 256 * 256 * 9 + 512 + 256 * 21 + 21)
    assert sum(p.numel() for p in head.parameters()) == official - 48 == 16844149
    # mmseg's depthwise-separable head of the same settings is much smaller
    with DefaultScope.overwrite_default_scope('mmseg'):
        mmseg_head = MODELS.build(dict(
            type='DepthwiseSeparableASPPHead', in_channels=2048, in_index=3, channels=256, c1_in_channels=256,
            c1_channels=48, dilations=(1, 6, 12, 18), dropout_ratio=0.0, num_classes=21))
    assert sum(p.numel() for p in mmseg_head.parameters()) < 0.8 * official


def _cbr(x, module, padding=0, dilation=1):
    """Conv (groups=1, no bias) + BN (eval) + ReLU of a ConvModule, written out."""
    bn = module.bn
    x = F.conv2d(x, module.conv.weight, None, padding=padding, dilation=dilation)
    return F.relu(F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps))


def official_forward(head, inputs, dilations=(6, 12, 18)):
    """The official dec_deeplabv3_plus forward, in functional form, with the head's weights."""
    low, x = inputs[0], inputs[3]
    size = x.shape[2:]
    pooled = _cbr(F.adaptive_avg_pool2d(x, 1), head.image_pool[1])
    branches = [F.interpolate(pooled, size=size, mode='bilinear', align_corners=True),
                _cbr(x, head.aspp_modules[0])]
    branches += [_cbr(x, m, padding=d, dilation=d) for m, d in zip(list(head.aspp_modules)[1:], dilations)]
    aspp = _cbr(torch.cat(branches, 1), head.bottleneck)  # 1x1 projection
    low = _cbr(low, head.c1_bottleneck)
    aspp = F.interpolate(aspp, size=low.shape[2:], mode='bilinear', align_corners=True)
    out = torch.cat([low, aspp], 1)  # low-level first
    out = _cbr(_cbr(out, head.fuse[0], padding=1), head.fuse[1], padding=1)
    return F.conv2d(out, head.conv_seg.weight, head.conv_seg.bias)


def test_forward_matches_the_official_decoder():
    torch.manual_seed(0)
    head = build(in_channels=16, channels=8, c1_in_channels=4, c1_channels=3, num_classes=5).eval()
    for module in head.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            torch.nn.init.uniform_(module.weight, 0.5, 1.5)
            torch.nn.init.normal_(module.bias)
            torch.nn.init.normal_(module.running_mean)
            torch.nn.init.uniform_(module.running_var, 0.5, 2.0)
    inputs = [torch.randn(2, 4, 17, 17), torch.randn(2, 1, 9, 9), torch.randn(2, 1, 5, 5), torch.randn(2, 16, 5, 5)]
    assert all(m.conv.groups == 1 for m in head.aspp_modules)
    assert head.bottleneck.conv.kernel_size == (1, 1)
    with torch.no_grad():
        torch.testing.assert_close(head(inputs), official_forward(head, inputs), rtol=1e-5, atol=1e-5)


def test_mmseg_projection_kernel_is_an_option_and_bad_settings_are_refused():
    assert build(bottleneck_kernel_size=3).bottleneck.conv.kernel_size == (3, 3)
    with pytest.raises(ValueError, match='c1_in_channels=0'):
        build(c1_in_channels=0)
    with pytest.raises(ValueError, match='bottleneck_kernel_size'):
        build(bottleneck_kernel_size=5)
