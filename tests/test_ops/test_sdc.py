"""Tests of the semantic difference convolution (mmext/ops/sdc.py; oracles of sdn.md §9).

The compiled CPU kernel is tested whenever mmext._ext is built (a missing extension fails test_extension_is_built
unless MMEXT_WITH_OPS=0 says it was skipped on purpose); CUDA tests run when a GPU is visible.
"""
import contextlib
import itertools
import os
import warnings

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import MODELS

import mmext.ops.sdc as sdc_module
from mmext.ops import SemanticDifferenceConv2d, semantic_difference_conv2d
from mmext.ops.sdc import GATE_FNS, available_impls, sdc_reference

HAS_CPU_KERNEL = 'cpu' in available_impls()
HAS_CUDA_KERNEL = 'cuda' in available_impls() and torch.cuda.is_available()
requires_cpu_kernel = pytest.mark.skipif(not HAS_CPU_KERNEL, reason='mmext._ext is not built')
requires_cuda = pytest.mark.skipif(not HAS_CUDA_KERNEL, reason='needs a GPU and mmext._ext built with CUDA')


@contextlib.contextmanager
def _num_threads(num):
    old = torch.get_num_threads()
    torch.set_num_threads(num)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _inputs(batch=2, c_in=2, c_v=None, height=5, width=6, c_out=4, groups=1, dtype=torch.float64, device='cpu',
            seed=0):
    """Random U [B, C_in, H, W], V [B, C_v, H, W], weight [C_out, C_in/groups, 3, 3] and lam, requiring grad."""
    gen = torch.Generator().manual_seed(seed)
    u = torch.randn(batch, c_in, height, width, generator=gen, dtype=dtype)
    v = torch.randn(batch, c_v or c_in, height, width, generator=gen, dtype=dtype)
    weight = torch.randn(c_out, c_in // groups, 3, 3, generator=gen, dtype=dtype)
    lam = torch.tensor(0.7, dtype=dtype)
    return [t.to(device).requires_grad_() for t in (u, v, weight, lam)]


def _forward_and_grads(impl, u, v, weight, lam, grad_seed=1, **kwargs):
    """Y and (dU, dV, dW, dlam) for a fixed random upstream gradient."""
    out = semantic_difference_conv2d(u, v, weight, lam, impl=impl, **kwargs)
    grad_out = torch.randn(out.shape, generator=torch.Generator().manual_seed(grad_seed), dtype=out.dtype)
    return (out, *torch.autograd.grad(out, (u, v, weight, lam), grad_out.to(out.device)))


# Every gate x guidance x padding combination; (dilation, groups) and invert_gate rotate through a Latin square so
# that each value meets each gate and each (guidance, padding) pair.
_DILATION_GROUPS = [(1, 1), (2, 'depthwise'), (2, 1), (1, 'depthwise')]
GRADCHECK_CASES = [
    dict(gate_fn=gate, guidance=guidance, padding_mode=padding, dilation=_DILATION_GROUPS[(i + j) % 4][0],
         groups=_DILATION_GROUPS[(i + j) % 4][1], invert_gate=(i + j) % 3 == 0)
    for i, gate in enumerate(GATE_FNS)
    for j, (guidance, padding) in enumerate(itertools.product(('per_channel', 'shared'), ('zeros', 'replicate')))
]


def _case_inputs(case, **kwargs):
    c_in = 2
    groups = c_in if case['groups'] == 'depthwise' else case['groups']
    c_v = 3 if case['guidance'] == 'shared' else c_in
    options = dict(case, groups=groups)
    return _inputs(c_in=c_in, c_v=c_v, groups=groups, **kwargs), options


def _case_id(case):
    return '-'.join(str(case[k]) for k in ('gate_fn', 'guidance', 'padding_mode', 'dilation', 'groups')) + (
        '-inv' if case['invert_gate'] else '')


@pytest.mark.parametrize('impl', ['reference', pytest.param('cpu', marks=requires_cpu_kernel)])
@pytest.mark.parametrize('case', GRADCHECK_CASES, ids=_case_id)
def test_gradcheck(impl, case):
    (u, v, weight, lam), options = _case_inputs(case)
    with _num_threads(1):  # tiny tensors: threads only add synchronisation
        assert torch.autograd.gradcheck(lambda *args: semantic_difference_conv2d(*args, impl=impl, **options),
                                        (u, v, weight, lam))


@pytest.mark.skipif(os.getenv('MMEXT_WITH_OPS', '1') == '0', reason='built without the extension on purpose')
def test_extension_is_built():
    assert HAS_CPU_KERNEL, f'mmext._ext failed to import: {sdc_module._load_ext()[1]}'


# Shapes with odd sizes, batch 1 and 3, several tiles and row bands (C=64, H=37 with W=64 spans 5 tiles), a
# dilation larger than a row band, and channel counts that differ between U, V and the output.
MATCH_CASES = [
    dict(shape=(1, 3, 7, 9), c_out=5),
    dict(shape=(3, 4, 8, 5), c_out=4, guidance='shared', c_v=5, padding_mode='replicate', gate_fn='pm_exp'),
    dict(shape=(2, 4, 9, 7), c_out=6, groups=2, dilation=2, gate_fn='gaussian', invert_gate=True),
    dict(shape=(1, 64, 37, 64), c_out=8, dilation=3, padding_mode='replicate', gate_fn='pm_rational'),
    dict(shape=(1, 64, 37, 64), c_out=64, groups=64, guidance='shared', c_v=2),
    dict(shape=(1, 2, 5, 6), c_out=3, dilation=3, padding_mode='replicate', guidance='shared', c_v=1),
]
LAYOUTS = ['contiguous', 'channels_last', 'non_contiguous']


def _layout(t, layout):
    if layout == 'channels_last':
        return t.detach().to(memory_format=torch.channels_last).requires_grad_()
    if layout == 'non_contiguous':
        # Same values, strided storage: a transposed copy viewed back.
        return t.detach().transpose(2, 3).contiguous().transpose(2, 3).requires_grad_()
    return t


def _assert_all_close(actual, expected, tol):
    """Max error of Y and of each gradient within tol of that tensor's scale (fp32 sums of C * 9 terms)."""
    for name, a, e in zip(('out', 'du', 'dv', 'dweight', 'dlam'), actual, expected):
        scale = max(1.0, e.abs().max().item())
        torch.testing.assert_close(a, e, rtol=tol, atol=tol * scale, msg=lambda m: f'{name}: {m}')


@requires_cpu_kernel
@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('case', MATCH_CASES, ids=lambda c: 'x'.join(map(str, c['shape'])))
def test_cpu_kernel_matches_reference(case, layout):
    case = dict(case)
    batch, c_in, height, width = case.pop('shape')
    u, v, weight, lam = _inputs(batch, c_in, case.pop('c_v', None), height, width, case.pop('c_out'),
                                case.get('groups', 1), dtype=torch.float32, seed=3)
    if layout == 'non_contiguous':
        assert not _layout(u, layout).is_contiguous()
    u, v = _layout(u, layout), _layout(v, layout)
    expected = _forward_and_grads('reference', u, v, weight, lam, **case)
    with _num_threads(2):  # the kernel's row bands run in parallel and meet in halo rows
        actual = _forward_and_grads('cpu', u, v, weight, lam, **case)
    _assert_all_close(actual, expected, tol=1e-5)


def _central_difference_conv(u, weight, padding_mode):
    """conv3x3(U, w) - conv1x1(U, sum_k w): SDC with every gate equal to 1 (PiDiNet 'cd', CDC with theta=1)."""
    padded = F.pad(u, (1, 1, 1, 1), mode='constant' if padding_mode == 'zeros' else 'replicate')
    return F.conv2d(padded, weight) - F.conv2d(u, weight.sum(dim=(2, 3), keepdim=True))


@pytest.mark.parametrize('impl', ['reference', pytest.param('cpu', marks=requires_cpu_kernel)])
@pytest.mark.parametrize('guidance', ['per_channel', 'shared'])
@pytest.mark.parametrize('padding_mode', ['zeros', 'replicate'])
def test_unit_gate_is_central_difference_conv(impl, guidance, padding_mode):
    u, v, weight, _ = _inputs(c_in=3, c_out=4)
    out = semantic_difference_conv2d(u, v, weight, lam=1e8, guidance=guidance, padding_mode=padding_mode,
                                     impl=impl)
    torch.testing.assert_close(out, _central_difference_conv(u, weight, padding_mode), rtol=0, atol=1e-12)


@pytest.mark.parametrize('impl', ['reference', pytest.param('cpu', marks=requires_cpu_kernel)])
def test_constant_guidance_is_central_difference_conv(impl):
    # Replicate padding: dV = 0 everywhere, so every gate is 1 whatever lam is.
    u, _, weight, _ = _inputs(c_in=3, c_out=2)
    v = torch.full_like(u, 2.5)
    out = semantic_difference_conv2d(u, v, weight, lam=0.1, padding_mode='replicate', impl=impl)
    torch.testing.assert_close(out, _central_difference_conv(u, weight, 'replicate'), rtol=0, atol=1e-12)


def test_constant_input_gives_zero_inside():
    u = torch.full((1, 2, 6, 7), 3.0, dtype=torch.float64)
    _, v, weight, lam = _inputs(batch=1, c_in=2, height=6, width=7)
    zeros = semantic_difference_conv2d(u, v, weight, lam, impl='reference')
    assert zeros[..., 1:-1, 1:-1].abs().max() < 1e-12
    assert zeros[..., 0, :].abs().max() > 1e-3  # zero padding: border pixels see dU = -U(p)
    assert semantic_difference_conv2d(u, v, weight, lam, padding_mode='replicate', impl='reference').abs().max() < 1e-12


@pytest.mark.parametrize('guidance', ['per_channel', 'shared'])
def test_linearity_shift_and_scale_of_guidance(guidance):
    u1, v, weight, _ = _inputs(c_in=3, c_out=3, seed=4)
    u2 = torch.randn_like(u1)
    sdc = lambda u, v, lam=0.6: semantic_difference_conv2d(  # noqa: E731
        u, v, weight, lam, guidance=guidance, padding_mode='replicate', impl='reference')
    torch.testing.assert_close(sdc(2 * u1 - 3 * u2, v), 2 * sdc(u1, v) - 3 * sdc(u2, v))
    torch.testing.assert_close(sdc(u1, v + 4.0), sdc(u1, v))
    torch.testing.assert_close(sdc(u1, 2.5 * v, lam=0.6), sdc(u1, v, lam=0.6 / 2.5))


@pytest.mark.parametrize('gate_fn', GATE_FNS)
def test_shared_gate_of_one_channel_equals_per_channel_gate(gate_fn):
    u, v, weight, lam = _inputs(c_in=3, c_v=1, c_out=2)
    shared = semantic_difference_conv2d(u, v, weight, lam, gate_fn=gate_fn, guidance='shared', impl='reference')
    per_channel = semantic_difference_conv2d(u, v.expand_as(u), weight, lam, gate_fn=gate_fn, impl='reference')
    torch.testing.assert_close(shared, per_channel)


def test_centre_tap_has_no_effect():
    u, v, weight, lam = _inputs()
    changed = weight.detach().clone()
    changed[:, :, 1, 1] += 5.0
    torch.testing.assert_close(semantic_difference_conv2d(u, v, changed, lam, impl='reference'),
                               semantic_difference_conv2d(u, v, weight, lam, impl='reference'))


@pytest.mark.parametrize('gate_fn', GATE_FNS)
def test_gate_range_and_inversion(gate_fn):
    # With U = one-hot at a pixel, the 3x3 output taps read the gates through w = one tap at a time.
    q = torch.linspace(0, 50, 101, dtype=torch.float64)
    gate = sdc_module._gate(q, 1.3, gate_fn)
    assert torch.all(gate > 0) and torch.all(gate <= 1) and gate[0] == 1
    assert torch.all(gate[1:] < gate[:-1])
    u, v, weight, lam = _inputs(c_in=2, c_out=3, seed=7)
    plain = semantic_difference_conv2d(u, v, weight, lam, gate_fn=gate_fn, impl='reference')
    inverted = semantic_difference_conv2d(u, v, weight, lam, gate_fn=gate_fn, invert_gate=True, impl='reference')
    torch.testing.assert_close(plain + inverted, _central_difference_conv(u, weight, 'zeros'))


def _slow_sdc(u, v, weight, lam, gate_fn):
    """Explicit loops over (b, o, y, x) in the style of the third-party SDConv, zero padding, per-channel gates."""
    batch, c_in, height, width = u.shape
    out = torch.zeros(batch, weight.shape[0], height, width, dtype=u.dtype)
    at = lambda t, b, c, y, x: t[b, c, y, x] if 0 <= y < height and 0 <= x < width else 0.0  # noqa: E731
    for b, o, y, x in itertools.product(range(batch), range(weight.shape[0]), range(height), range(width)):
        for c, i, j in itertools.product(range(c_in), range(3), range(3)):
            dv = at(v, b, c, y + i - 1, x + j - 1) - v[b, c, y, x]
            gate = sdc_module._gate(torch.as_tensor(dv**2), lam, gate_fn)
            out[b, o, y, x] += weight[o, c, i, j] * gate * (at(u, b, c, y + i - 1, x + j - 1) - u[b, c, y, x])
    return out


@pytest.mark.parametrize('gate_fn', ['charbonnier', 'gaussian'])
def test_reference_matches_explicit_loops(gate_fn):
    u, v, weight, _ = [t.detach() for t in _inputs(batch=1, c_in=2, height=4, width=4, c_out=2)]
    torch.testing.assert_close(
        semantic_difference_conv2d(u, v, weight, 0.8, gate_fn=gate_fn, impl='reference'),
        _slow_sdc(u, v, weight, 0.8, gate_fn))


@pytest.mark.parametrize('align_corners', [False, True])
def test_guidance_is_resized_bilinearly(align_corners):
    u, _, weight, lam = _inputs(height=8, width=6)
    v_small = torch.randn(2, 2, 4, 3, dtype=torch.float64)
    v_big = F.interpolate(v_small, size=(8, 6), mode='bilinear', align_corners=align_corners)
    torch.testing.assert_close(
        semantic_difference_conv2d(u, v_small, weight, lam, align_corners=align_corners, impl='reference'),
        semantic_difference_conv2d(u, v_big, weight, lam, impl='reference'))


def test_bias_is_added():
    u, v, weight, lam = _inputs(c_out=4)
    bias = torch.randn(4, dtype=torch.float64)
    torch.testing.assert_close(
        semantic_difference_conv2d(u, v, weight, lam, bias=bias, impl='reference'),
        semantic_difference_conv2d(u, v, weight, lam, impl='reference') + bias.view(1, -1, 1, 1))


@pytest.mark.parametrize('kwargs, match', [
    (dict(gate_fn='huber'), 'gate_fn must be one of'),
    (dict(guidance='scalar'), "guidance must be one of"),
    (dict(padding_mode='reflect'), 'padding_mode must be one of'),
    (dict(dilation=0), 'dilation must be a positive integer'),
    (dict(lam=-1.0), 'lam must be > 0'),
    (dict(impl='triton'), 'impl must be one of'),
    (dict(groups=3), 'groups=3 must be a positive integer dividing'),
])
def test_bad_arguments_are_named(kwargs, match):
    u, v, weight, _ = _inputs(c_in=2, c_out=4)
    with pytest.raises(ValueError, match=match):
        semantic_difference_conv2d(u, v, weight, **kwargs)


def test_bad_shapes_are_named():
    u, v, weight, lam = _inputs(c_in=2, c_v=3, c_out=4)
    with pytest.raises(ValueError, match=r"guidance='per_channel' needs v with C_in=2 channels, got 3"):
        semantic_difference_conv2d(u, v, weight, lam)
    with pytest.raises(ValueError, match=r'weight must have shape \(C_out, C_in/groups, 3, 3\)'):
        semantic_difference_conv2d(u, v, weight[:, :1], lam, guidance='shared')
    with pytest.raises(ValueError, match='kernel_size must be 3'):
        SemanticDifferenceConv2d(2, 2, kernel_size=5)


def test_fallback_to_reference_warns_once(monkeypatch):
    monkeypatch.setattr(sdc_module, '_load_ext', lambda: (None, 'No module named mmext._ext'))
    sdc_module._warn_fallback.cache_clear()
    u, v, weight, lam = _inputs()
    with pytest.warns(UserWarning, match='mmext._ext is not available'):
        out = semantic_difference_conv2d(u, v, weight, lam)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        semantic_difference_conv2d(u, v, weight, lam)
    torch.testing.assert_close(out, sdc_reference(u, v, weight, lam))
    for impl in ('cpu', 'cuda'):
        with pytest.raises(RuntimeError, match='not available: the extension mmext._ext is not built'):
            semantic_difference_conv2d(u, v, weight, lam, impl=impl)
    sdc_module._warn_fallback.cache_clear()


@requires_cpu_kernel
def test_unavailable_or_mismatched_impl_is_an_error():
    u, v, weight, lam = _inputs()
    if 'cuda' not in available_impls():
        with pytest.raises(RuntimeError, match='built without CUDA'):
            semantic_difference_conv2d(u, v, weight, lam, impl='cuda')
    else:
        with pytest.raises(ValueError, match="impl='cuda' needs cuda tensors"):
            semantic_difference_conv2d(u, v, weight, lam, impl='cuda')


@requires_cpu_kernel
def test_auto_uses_the_cpu_kernel(monkeypatch):
    calls = []
    monkeypatch.setattr(sdc_module, 'sdc_reference', lambda *a, **k: calls.append(1))
    u, v, weight, lam = _inputs()
    semantic_difference_conv2d(u, v, weight, lam)
    assert not calls


@requires_cpu_kernel
def test_cpu_kernel_runs_under_inference_mode():
    u, v, weight, lam = [t.detach() for t in _inputs()]
    expected = sdc_reference(u, v, weight, lam)
    with torch.inference_mode():
        out = semantic_difference_conv2d(u, v, weight, lam, impl='cpu')
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


@requires_cpu_kernel
@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_cpu_low_precision_runs_in_fp32(dtype):
    u, v, weight, _ = [t.detach() for t in _inputs(dtype=torch.float32)]
    # |dV| / lam > 256 overflows (dV / lam)^2 in fp16; the gate must still be computed.
    v = v * 300
    out = semantic_difference_conv2d(u.to(dtype), v.to(dtype), weight.to(dtype), 0.5)
    assert out.dtype == dtype and torch.isfinite(out).all()
    expected = sdc_reference(u.to(dtype).float(), v.to(dtype).float(), weight.to(dtype).float(), 0.5)
    torch.testing.assert_close(out.float(), expected, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize('scope', ['mmengine', 'mmseg', 'mmpretrain'])
def test_module_builds_from_registries(scope):
    registry = MODELS
    if scope == 'mmseg':
        from mmseg.registry import MODELS as registry
    elif scope == 'mmpretrain':
        from mmpretrain.registry import MODELS as registry
    module = registry.build(dict(type='SemanticDiffConv2d', in_channels=4, out_channels=6, guidance='shared'))
    assert isinstance(module, SemanticDifferenceConv2d)
    out = module(torch.randn(2, 4, 7, 5), torch.randn(2, 3, 4, 3))
    assert out.shape == (2, 6, 7, 5)


def test_module_learnable_lam_bias_and_init():
    module = SemanticDifferenceConv2d(3, 4, groups=1, bias=True, lam=2.0, learnable_lam=True, gate_fn='pm_rational')
    assert module.lam.item() == pytest.approx(2.0)
    assert module.weight.abs().max() <= 0.1
    out = module(torch.randn(2, 3, 6, 6), torch.randn(2, 3, 6, 6))
    out.square().mean().backward()
    for name in ('weight', 'bias', 'raw_lam'):
        grad = getattr(module, name).grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0, name
    assert SemanticDifferenceConv2d(2, 2, learnable_lam=True, lam=1e4).lam.item() == pytest.approx(1e4)
    fixed = SemanticDifferenceConv2d(4, 8, groups=4, weight_init='kaiming')
    assert fixed.lam == 1.0 and fixed.weight.shape == (8, 1, 3, 3) and fixed.raw_lam is None
    assert 'groups=4' in repr(fixed)


@requires_cuda
@pytest.mark.parametrize('case', MATCH_CASES[:3] + MATCH_CASES[4:], ids=lambda c: 'x'.join(map(str, c['shape'])))
def test_cuda_kernel_matches_reference(case):
    case = dict(case)
    batch, c_in, height, width = case.pop('shape')
    u, v, weight, lam = _inputs(batch, c_in, case.pop('c_v', None), height, width, case.pop('c_out'),
                                case.get('groups', 1), dtype=torch.float32, device='cuda', seed=3)
    expected = _forward_and_grads('reference', u, v, weight, lam, **case)
    actual = _forward_and_grads('cuda', u, v, weight, lam, **case)
    _assert_all_close(actual, expected, tol=1e-5)


@requires_cuda
@pytest.mark.parametrize('case', GRADCHECK_CASES[::3], ids=_case_id)
def test_cuda_gradcheck(case):
    (u, v, weight, lam), options = _case_inputs(case, device='cuda')
    assert torch.autograd.gradcheck(lambda *args: semantic_difference_conv2d(*args, impl='cuda', **options),
                                    (u, v, weight, lam))


@requires_cuda
def test_cuda_half_and_autocast():
    u, v, weight, _ = [t.detach() for t in _inputs(c_in=8, c_out=8, height=16, width=16, dtype=torch.float32,
                                                   device='cuda')]
    v = v * 300  # (dV / lam)^2 overflows fp16 unless the gate runs in fp32
    expected = semantic_difference_conv2d(u, v, weight, 0.5, impl='reference')
    half = semantic_difference_conv2d(u.half(), v.half(), weight.half(), 0.5, impl='cuda')
    assert half.dtype == torch.float16
    torch.testing.assert_close(half.float(), expected, rtol=1e-2, atol=1e-2)
    with torch.autocast('cuda', dtype=torch.float16):
        mixed = semantic_difference_conv2d(u, v.half(), weight, 0.5, impl='cuda')
    assert torch.isfinite(mixed).all()
    torch.testing.assert_close(mixed.float(), expected, rtol=1e-2, atol=1e-2)
