"""SDNNeck / SDNBlock / SequentialNeck: shapes, identity at initialisation, gradient flow, init_cfg, errors."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from mmext.seg.models.necks import SDNBlock

BN = dict(type='BN', requires_grad=True)
CHANNELS = [4, 8, 16, 32]  # mismatched widths, as in a ResNet/Swin pyramid
SIZES = [16, 8, 4, 2]


@pytest.fixture(autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


def pyramid(batch=2, channels=CHANNELS, sizes=SIZES, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(batch, c, s, s, generator=gen) for c, s in zip(channels, sizes))


def build(**kwargs):
    kwargs.setdefault('in_channels', CHANNELS)
    kwargs.setdefault('norm_cfg', BN)
    return MODELS.build(dict(type='SDNNeck', **kwargs))


@pytest.mark.parametrize('kwargs', [
    dict(in_channels=[6], mode='single_scale'),
    dict(in_channels=[6], mode='multi_scale'),
    dict(mode='multi_scale'),
    dict(mode='single_scale'),
    dict(mode='multi_scale', reduce_channels=8),
    dict(mode='single_scale', reduce_channels=[None, 4, 4, 8]),
    dict(mode='multi_scale', levels=[0, 3], fuse_init='identity'),
    dict(mode='multi_scale', guidance_conv_cfg=dict(norm=False, act=False)),
])
def test_output_shapes_equal_input_shapes(kwargs):
    neck = build(**kwargs)
    channels = kwargs['in_channels'] if 'in_channels' in kwargs else CHANNELS
    inputs = pyramid(channels=channels, sizes=SIZES[:len(channels)])
    outs = neck(inputs)
    assert isinstance(outs, tuple) and len(outs) == len(inputs)
    for x, y in zip(inputs, outs):
        assert y.shape == x.shape
        assert torch.isfinite(y).all()
    sum(o.sum() for o in outs).backward()


def test_unselected_levels_pass_through():
    neck = build(levels=[1, 2])
    inputs = pyramid()
    outs = neck(inputs)
    assert outs[0] is inputs[0] and outs[3] is inputs[3]
    assert set(neck.blocks) == {'1', '2'}


def test_guidance_wiring():
    neck = build(mode='multi_scale', reduce_channels=8)
    # level i < 3 projects level i+1 (C_{i+1} -> SDC width); the deepest level has a stride-2 self-guidance conv.
    assert neck.blocks['0'].guidance.in_channels == 8 and neck.blocks['0'].guidance.out_channels == 4
    assert neck.blocks['2'].guidance.in_channels == 32 and neck.blocks['2'].guidance.out_channels == 8
    assert neck.blocks['3'].guidance.conv.stride == (2, 2)
    assert neck.blocks['3'].guidance.conv.in_channels == 8  # works at the reduced width
    assert neck.blocks['0'].reduce is None and neck.blocks['3'].reduce is not None
    single = build(mode='single_scale')
    assert all(block.guidance.conv.stride == (2, 2) for block in single.blocks.values())


@pytest.mark.parametrize('mode', ['multi_scale', 'single_scale'])
def test_identity_at_init(mode):
    init_cfg = dict(type='Kaiming', layer='Conv2d')  # applied first; the identity fusion is applied on top
    neck = build(mode=mode, fuse_init='identity', reduce_channels=8, init_cfg=init_cfg)
    inputs = pyramid()
    for stage in ('constructed', 'init_weights'):
        if stage == 'init_weights':
            neck.init_weights()
        for train in (True, False):
            neck.train(train)
            with torch.no_grad():
                outs = neck(inputs)
            for x, y in zip(inputs, outs):
                torch.testing.assert_close(y, x, rtol=0, atol=1e-6, msg=f'{stage}, train={train}')


def _sdc_weights(neck):
    return [p for name, p in neck.named_parameters() if '.sdc.' in name and p.dim() == 4]


def _loss(neck, inputs, target):
    return sum((o * t).sum() for o, t in zip(neck(inputs), target))


def test_gradients_with_identity_fusion():
    """At step 0 the zero SDC half of the fusion blocks every gradient behind it; one optimiser step opens it."""
    torch.manual_seed(0)
    neck = build(fuse_init='identity')
    neck.init_weights()
    inputs, target = pyramid(seed=1), pyramid(seed=2)
    optimizer = torch.optim.SGD(neck.parameters(), lr=0.1)

    _loss(neck, inputs, target).backward()
    for block in neck.blocks.values():
        width = block.fuse.in_channels - block.fuse.out_channels
        assert block.fuse.weight.grad[:, -width:].abs().sum() > 0, 'the SDC half of the fusion must learn first'
    for weight in _sdc_weights(neck):
        assert weight.grad is None or torch.count_nonzero(weight.grad) == 0

    optimizer.step()
    optimizer.zero_grad()
    _loss(neck, inputs, target).backward()
    sdc_weights = _sdc_weights(neck)
    assert len(sdc_weights) == len(CHANNELS)
    for weight in sdc_weights:
        assert weight.grad.abs().sum() > 0
    for name, param in neck.named_parameters():
        if param.requires_grad:
            assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_gradients_with_default_fusion():
    neck = build(fuse_init='default')
    _loss(neck, pyramid(seed=1), pyramid(seed=2)).backward()
    for weight in _sdc_weights(neck):
        assert weight.grad.abs().sum() > 0


def test_project_then_upsample_equals_upsample_then_project():
    block = SDNBlock(8, guidance_channels=16, reduce_channels=None, sdc_cfg=dict(type='SemanticDiffConv2d'),
                     guidance_proj='conv1x1', guidance_conv_cfg={}, fuse_init='default', norm_cfg=BN,
                     act_cfg=dict(type='ReLU'))
    v = torch.randn(2, 16, 5, 7, dtype=torch.float64)
    proj = block.guidance.double()
    a = F.interpolate(proj(v), size=(10, 14), mode='bilinear', align_corners=False)
    b = proj(F.interpolate(v, size=(10, 14), mode='bilinear', align_corners=False))
    torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_init_cfg_is_honoured(tmp_path):
    neck = build(init_cfg=dict(type='Constant', layer='Conv2d', val=0.125, bias=0.0))
    neck.init_weights()
    assert torch.all(neck.blocks['0'].fuse.weight == 0.125)

    source = build(fuse_init='default')
    path = str(tmp_path / 'neck.pth')
    torch.save(source.state_dict(), path)
    # A Pretrained init_cfg is applied after the children's init, so it overrides the identity fusion.
    loaded = build(fuse_init='identity', init_cfg=dict(type='Pretrained', checkpoint=path))
    loaded.init_weights()
    for key, value in source.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value, msg=key)


def test_sequential_neck_with_fpn():
    neck = MODELS.build(
        dict(type='SequentialNeck', necks=[
            dict(type='SDNNeck', in_channels=CHANNELS, norm_cfg=BN, reduce_channels=8),
            dict(type='FPN', in_channels=CHANNELS, out_channels=8, num_outs=4)]))
    outs = neck(pyramid())
    assert [tuple(o.shape) for o in outs] == [(2, 8, s, s) for s in SIZES]


def test_in_a_segmentor():
    model = MODELS.build(
        dict(type='EncoderDecoder',
             backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8, norm_cfg=BN,
                           strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4)),
             neck=dict(type='SDNNeck', in_channels=[8, 16, 32, 64], mode='single_scale', levels=[3], norm_cfg=BN),
             decode_head=dict(type='FCNHead', in_channels=64, in_index=3, channels=8, num_classes=3, norm_cfg=BN),
             test_cfg=dict(mode='whole')))
    logits = model(torch.rand(2, 3, 32, 32), mode='tensor')
    assert logits.shape == (2, 3, 4, 4)
    logits.sum().backward()


@pytest.mark.parametrize('kwargs, match', [
    (dict(in_channels=8), 'in_channels'),
    (dict(mode='pyramid'), 'mode'),
    (dict(levels=[4]), 'levels'),
    (dict(guidance_proj='conv3x3'), 'guidance_proj'),
    (dict(fuse_init='zeros'), 'fuse_init'),
    (dict(guidance_conv_cfg=dict(dilation=2)), 'guidance_conv_cfg'),
    (dict(reduce_channels=[8, 8]), 'reduce_channels'),
    (dict(reduce_channels=0), 'reduce_channels'),
    (dict(guidance_proj='none'), "guidance_proj='none'"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def test_wrong_number_of_levels():
    with pytest.raises(ValueError, match='in_channels'):
        build()(pyramid()[:3])


@pytest.mark.parametrize('sdc_cfg, guidance_proj', [
    (dict(gate_fn='pm_rational'), 'conv1x1'),
    (dict(gate_fn='pm_exp', learnable_lam=True, lam=0.5), 'conv1x1'),
    (dict(gate_fn='gaussian', dilation=2, padding_mode='replicate'), 'conv1x1'),
    (dict(guidance='shared'), 'none'),  # a shared gate reads guidance of any width, no projection needed
    (dict(groups=8), 'conv1x1'),  # depthwise at the reduced width 8
])
def test_sdc_options_pass_through(sdc_cfg, guidance_proj):
    neck = build(sdc_cfg=sdc_cfg, guidance_proj=guidance_proj, reduce_channels=8, levels=[1, 2, 3])
    for block in neck.blocks.values():
        for key, value in sdc_cfg.items():
            if key != 'lam':
                assert getattr(block.sdc, key) == value
    if guidance_proj == 'none':
        assert neck.blocks['1'].guidance is None
    inputs = pyramid()
    outs = neck(inputs)
    assert [o.shape for o in outs] == [x.shape for x in inputs]
    sum(o.sum() for o in outs).backward()
    if sdc_cfg.get('learnable_lam'):
        assert all(block.sdc.raw_lam.grad is not None for block in neck.blocks.values())


def test_block_guidance_argument_must_match_how_it_was_built():
    common = dict(reduce_channels=None, sdc_cfg=dict(type='SemanticDiffConv2d'), guidance_proj='conv1x1',
                  guidance_conv_cfg=dict(kernel_size=3, stride=2, norm=True, act=True), fuse_init='default',
                  norm_cfg=BN, act_cfg=dict(type='ReLU'))
    u = torch.randn(2, 8, 6, 6)
    with pytest.raises(ValueError, match='without v'):
        SDNBlock(8, guidance_channels=None, **common)(u, torch.randn(2, 16, 3, 3))
    with pytest.raises(ValueError, match='pass the guidance map'):
        SDNBlock(8, guidance_channels=16, **common)(u)


def _randomised_block(guidance_channels, reduce_channels=None, seed=0):
    """An SDNBlock in eval mode whose BN statistics and fusion weights are random, so every part shows in Z."""
    torch.manual_seed(seed)
    block = SDNBlock(8, guidance_channels=guidance_channels, reduce_channels=reduce_channels,
                     sdc_cfg=dict(type='SemanticDiffConv2d', gate_fn='pm_exp', lam=0.7), guidance_proj='conv1x1',
                     guidance_conv_cfg=dict(kernel_size=3, stride=2, norm=True, act=True), fuse_init='default',
                     norm_cfg=BN, act_cfg=dict(type='ReLU')).double().eval()
    with torch.no_grad():
        for module in block.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    return block


def _bn_relu(x, bn):
    return F.relu(F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, training=False, eps=bn.eps))


def _expected_block_output(block, u, v):
    """Z = Conv1x1(cat[U, ReLU(BN(SDC(U, up(proj(V)))))]) from the op and functional layers (no SDNBlock code)."""
    v = F.conv2d(v, block.guidance.weight, block.guidance.bias)
    v = F.interpolate(v, size=u.shape[2:], mode='bilinear', align_corners=False)
    y = _bn_relu(block.sdc(u, v), block.norm)
    return F.conv2d(torch.cat([u, y], 1), block.fuse.weight, block.fuse.bias)


def test_block_output_equals_composition_of_op_and_layers():
    block = _randomised_block(guidance_channels=16)
    gen = torch.Generator().manual_seed(3)
    u = torch.randn(2, 8, 10, 14, generator=gen, dtype=torch.float64)
    v = torch.randn(2, 16, 5, 7, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        z = block(u, v)
        torch.testing.assert_close(z, _expected_block_output(block, u, v), rtol=0, atol=1e-12)
        # The guidance matters: a scaled or mirrored V gives another output, as a gate on V must.
        assert (block(u, 1e-3 * v) - z).abs().max() > 1e-3
        assert (block(u, v.flip(-1)) - z).abs().max() > 1e-3


def test_self_guided_block_with_reduction_equals_composition():
    block = _randomised_block(guidance_channels=None, reduce_channels=4, seed=1)
    u = torch.randn(2, 8, 8, 8, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    reduce, guide = block.reduce, block.guidance
    u_r = _bn_relu(F.conv2d(u, reduce.conv.weight, reduce.conv.bias), reduce.bn)
    v = _bn_relu(F.conv2d(u_r, guide.conv.weight, guide.conv.bias, stride=2, padding=1), guide.bn)
    v = F.interpolate(v, size=u.shape[2:], mode='bilinear', align_corners=False)
    y = _bn_relu(block.sdc(u_r, v), block.norm)
    expected = F.conv2d(torch.cat([u, y], 1), block.fuse.weight, block.fuse.bias)
    with torch.no_grad():
        torch.testing.assert_close(block(u), expected, rtol=0, atol=1e-12)
