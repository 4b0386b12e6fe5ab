"""Tests of the semantic difference convolution (mmext/ops/sdc.py; oracles of sdn.md §9).

The compiled CPU kernel is tested whenever mmext._ext is built (a missing extension fails test_extension_is_built
unless MMEXT_WITH_OPS=0 says it was skipped on purpose); CUDA tests run when a GPU is visible.
"""
import contextlib
import inspect
import itertools
import os
import warnings

import numpy as np
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
    out = semantic_difference_conv2d(u, v, weight, lam=lam, impl=impl, **kwargs)
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


def _positional_lam(impl, options):
    """The op as a function of (u, v, weight, lam), the form gradcheck calls."""
    return lambda u, v, weight, lam: semantic_difference_conv2d(u, v, weight, lam=lam, impl=impl, **options)


def _case_id(case):
    return '-'.join(str(case[k]) for k in ('gate_fn', 'guidance', 'padding_mode', 'dilation', 'groups')) + (
        '-inv' if case['invert_gate'] else '')


@pytest.mark.parametrize('impl', ['reference', pytest.param('cpu', marks=requires_cpu_kernel)])
@pytest.mark.parametrize('case', GRADCHECK_CASES, ids=_case_id)
def test_gradcheck(impl, case):
    (u, v, weight, lam), options = _case_inputs(case)
    with _num_threads(1):  # tiny tensors: threads only add synchronisation
        assert torch.autograd.gradcheck(_positional_lam(impl, options), (u, v, weight, lam))


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
    zeros = semantic_difference_conv2d(u, v, weight, lam=lam, impl='reference')
    assert zeros[..., 1:-1, 1:-1].abs().max() < 1e-12
    assert zeros[..., 0, :].abs().max() > 1e-3  # zero padding: border pixels see dU = -U(p)
    replicate = semantic_difference_conv2d(u, v, weight, lam=lam, padding_mode='replicate', impl='reference')
    assert replicate.abs().max() < 1e-12


@pytest.mark.parametrize('guidance', ['per_channel', 'shared'])
def test_linearity_shift_and_scale_of_guidance(guidance):
    u1, v, weight, _ = _inputs(c_in=3, c_out=3, seed=4)
    u2 = torch.randn_like(u1)
    sdc = lambda u, v, lam=0.6: semantic_difference_conv2d(  # noqa: E731
        u, v, weight, lam=lam, guidance=guidance, padding_mode='replicate', impl='reference')
    torch.testing.assert_close(sdc(2 * u1 - 3 * u2, v), 2 * sdc(u1, v) - 3 * sdc(u2, v))
    torch.testing.assert_close(sdc(u1, v + 4.0), sdc(u1, v))
    torch.testing.assert_close(sdc(u1, 2.5 * v, lam=0.6), sdc(u1, v, lam=0.6 / 2.5))


@pytest.mark.parametrize('gate_fn', GATE_FNS)
def test_shared_gate_of_one_channel_equals_per_channel_gate(gate_fn):
    u, v, weight, lam = _inputs(c_in=3, c_v=1, c_out=2)
    shared = semantic_difference_conv2d(u, v, weight, lam=lam, gate_fn=gate_fn, guidance='shared', impl='reference')
    per_channel = semantic_difference_conv2d(u, v.expand_as(u), weight, lam=lam, gate_fn=gate_fn, impl='reference')
    torch.testing.assert_close(shared, per_channel)


def test_centre_tap_has_no_effect():
    u, v, weight, lam = _inputs()
    changed = weight.detach().clone()
    changed[:, :, 1, 1] += 5.0
    torch.testing.assert_close(semantic_difference_conv2d(u, v, changed, lam=lam, impl='reference'),
                               semantic_difference_conv2d(u, v, weight, lam=lam, impl='reference'))


@pytest.mark.parametrize('gate_fn', GATE_FNS)
def test_gate_range_and_inversion(gate_fn):
    # With U = one-hot at a pixel, the 3x3 output taps read the gates through w = one tap at a time.
    q = torch.linspace(0, 50, 101, dtype=torch.float64)
    gate = sdc_module._gate(q, 1.3, gate_fn)
    assert torch.all(gate > 0) and torch.all(gate <= 1) and gate[0] == 1
    assert torch.all(gate[1:] < gate[:-1])
    u, v, weight, lam = _inputs(c_in=2, c_out=3, seed=7)
    plain = semantic_difference_conv2d(u, v, weight, lam=lam, gate_fn=gate_fn, impl='reference')
    inverted = semantic_difference_conv2d(u, v, weight, lam=lam, gate_fn=gate_fn, invert_gate=True, impl='reference')
    torch.testing.assert_close(plain + inverted, _central_difference_conv(u, weight, 'zeros'))


@pytest.mark.parametrize('align_corners', [False, True])
def test_guidance_is_resized_bilinearly(align_corners):
    u, _, weight, lam = _inputs(height=8, width=6)
    v_small = torch.randn(2, 2, 4, 3, dtype=torch.float64)
    v_big = F.interpolate(v_small, size=(8, 6), mode='bilinear', align_corners=align_corners)
    torch.testing.assert_close(
        semantic_difference_conv2d(u, v_small, weight, lam=lam, align_corners=align_corners, impl='reference'),
        semantic_difference_conv2d(u, v_big, weight, lam=lam, impl='reference'))


def test_bias_is_added():
    u, v, weight, lam = _inputs(c_out=4)
    bias = torch.randn(4, dtype=torch.float64)
    torch.testing.assert_close(
        semantic_difference_conv2d(u, v, weight, lam=lam, bias=bias, impl='reference'),
        semantic_difference_conv2d(u, v, weight, lam=lam, impl='reference') + bias.view(1, -1, 1, 1))


# B, C_in, H, W and C_out set to zero in turn (shared gates also with a guidance of zero channels).
EMPTY_CASES = [
    dict(shape=(0, 2, 5, 6), c_out=4),
    dict(shape=(2, 0, 5, 6), c_out=4),
    dict(shape=(2, 2, 0, 6), c_out=4),
    dict(shape=(2, 2, 5, 0), c_out=4),
    dict(shape=(2, 2, 5, 6), c_out=0),
    dict(shape=(2, 2, 5, 6), c_out=4, c_v=0),
]


@pytest.mark.parametrize('padding_mode', ['zeros', 'replicate'])
@pytest.mark.parametrize('guidance', ['per_channel', 'shared'])
@pytest.mark.parametrize('case', EMPTY_CASES, ids=lambda c: 'x'.join(map(str, c['shape'])) + f"-o{c['c_out']}")
def test_empty_tensors(case, guidance, padding_mode):
    batch, c_in, height, width = case['shape']
    c_v = case.get('c_v', c_in if guidance == 'per_channel' else 3)
    if guidance == 'per_channel' and c_v != c_in:
        pytest.skip('per-channel gates need C_v == C_in')
    u = torch.randn(batch, c_in, height, width, dtype=torch.float64, requires_grad=True)
    v = torch.randn(batch, c_v, height, width, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(case['c_out'], c_in, 3, 3, dtype=torch.float64, requires_grad=True)
    lam = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the fallback warning when the extension is not built
        out = semantic_difference_conv2d(u, v, weight, lam=lam, guidance=guidance, padding_mode=padding_mode)
    assert out.shape == (batch, case['c_out'], height, width)
    leaves = (u, v, weight, lam)
    grads = torch.autograd.grad(out, leaves, torch.ones_like(out), allow_unused=True)
    grads = [torch.zeros_like(leaf) if grad is None else grad for grad, leaf in zip(grads, leaves)]
    if case.get('c_v') == 0:  # a guidance without channels: every shared gate is 1
        expected = _central_difference_conv(u, weight, padding_mode)
        torch.testing.assert_close(out, expected)
        expected_grads = torch.autograd.grad(expected, (u, weight), torch.ones_like(out))
        torch.testing.assert_close((grads[0], grads[2]), expected_grads)
        assert grads[1].numel() == 0 and grads[3] == 0
        return
    assert not out.any()
    for name, grad, leaf in zip(('u', 'v', 'weight', 'lam'), grads, leaves):
        assert grad.shape == leaf.shape and not grad.any(), name


def test_float_lam_keeps_float64_precision():
    # A float lam used to be rounded to float32 before the kernel (0.7 -> 0.699999988).
    u, v, weight, lam = [t.detach() for t in _inputs(seed=5)]
    exact = sdc_reference(u, v, weight, lam=torch.tensor(0.7, dtype=torch.float64))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.testing.assert_close(semantic_difference_conv2d(u, v, weight, lam=0.7), exact, rtol=0, atol=1e-13)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_kernels_get_lam_in_full_precision(monkeypatch, dtype):
    # What the compiled op receives, checked without it: lam stays float64 (float32 for a float32 tensor) whatever
    # the inputs' dtype, so 0.7 is not rounded to fp16 (0.69971) and 1e5 does not overflow it.
    received = []

    def fake_op(u, v, weight, lam, *options):
        received.append(lam)
        return u.new_zeros(u.shape[0], weight.shape[0], *u.shape[2:])

    monkeypatch.setattr(sdc_module, '_resolve_impl', lambda impl, device: 'cuda')
    monkeypatch.setattr(torch.ops.mmext, 'sdc', fake_op, raising=False)
    u, v, weight, _ = [t.detach().to(dtype) for t in _inputs()]
    for lam in (0.7, 1e5, torch.tensor(0.7, dtype=torch.float64)):
        semantic_difference_conv2d(u, v, weight, lam=lam)
        assert received[-1].dtype == torch.float64 and received[-1].item() == float(lam)
    semantic_difference_conv2d(u, v, weight, lam=torch.tensor(0.7))
    assert received[-1].dtype == torch.float32 and received[-1].item() == torch.tensor(0.7).item()


@pytest.mark.parametrize('value', [0.0, -0.5, float('inf'), float('nan')])
def test_lam_tensor_must_be_finite_and_positive(value):
    u, v, weight, _ = _inputs()
    with pytest.raises(ValueError, match='lam must be a finite number > 0'):
        semantic_difference_conv2d(u, v, weight, lam=torch.tensor(value, dtype=torch.float64))
    with pytest.raises(ValueError, match='lam must be a finite number > 0'):
        semantic_difference_conv2d(u, v, weight, lam=value)


def test_reference_skips_the_centre_tap():
    # lam = 1e-200 is valid but lam^2 underflows to 0: the centre tap's 0 / 0 turned every output of the reference
    # into NaN. Both implementations skip that tap; every other tap sees dV != 0 here, so its gate is 0 and Y = 0.
    u, v, weight, _ = [t.detach() for t in _inputs()]
    tiny = torch.tensor(1e-200, dtype=torch.float64)
    assert not semantic_difference_conv2d(u, v, weight, lam=tiny, impl='reference').any()
    if HAS_CPU_KERNEL:
        assert not semantic_difference_conv2d(u, v, weight, lam=tiny, impl='cpu').any()


@pytest.mark.parametrize('name', ['u', 'v', 'weight', 'bias'])
@pytest.mark.parametrize('dtype', [torch.int64, torch.int32, torch.bool])
def test_non_floating_tensors_are_a_type_error(name, dtype):
    u, v, weight, lam = [t.detach() for t in _inputs(c_out=4)]
    tensors = dict(u=u, v=v, weight=weight, bias=torch.zeros(4, dtype=torch.float64))
    tensors[name] = tensors[name].round().to(dtype)
    with pytest.raises(TypeError, match=f'{name} must be a floating-point tensor, got dtype {dtype}'):
        semantic_difference_conv2d(tensors['u'], tensors['v'], tensors['weight'], lam=lam, bias=tensors['bias'])
    with pytest.raises(TypeError, match='lam must be a floating-point tensor'):
        semantic_difference_conv2d(u, v, weight, lam=torch.tensor(1))


def test_arguments_after_the_tensors_are_keyword_only():
    u, v, weight, _ = _inputs()
    with pytest.raises(TypeError, match='positional argument'):
        semantic_difference_conv2d(u, v, weight, 0.5)
    # With `bias` before `lam`, this used to build lam = 1 and a bias.
    with pytest.raises(TypeError, match='positional argument'):
        SemanticDifferenceConv2d(4, 4, 3, 1, 1, 0.5)
    for fn, first_keyword in ((semantic_difference_conv2d, 'lam'), (sdc_reference, 'lam'),
                              (SemanticDifferenceConv2d.__init__, 'dilation')):
        params = list(inspect.signature(fn).parameters.values())
        keyword_only = [p.name for p in params if p.kind == inspect.Parameter.KEYWORD_ONLY]
        positional = [p.name for p in params if p.kind != inspect.Parameter.KEYWORD_ONLY]
        assert keyword_only[0] == first_keyword and positional[-1] in ('weight', 'kernel_size'), fn


def test_integral_dilation_and_groups():
    u, v, weight, lam = _inputs(c_in=2, c_out=4, height=7, width=7)
    expected = semantic_difference_conv2d(u, v, weight, lam=lam, dilation=2, impl='reference')
    for integral in (np.int64(2), torch.tensor(2)):
        torch.testing.assert_close(semantic_difference_conv2d(u, v, weight, lam=lam, dilation=integral), expected)
    module = SemanticDifferenceConv2d(2, 2, dilation=np.int64(2), groups=np.int32(2))
    assert type(module.dilation) is int and type(module.groups) is int and module.groups == 2
    for bad in (True, 2.0, '2'):
        with pytest.raises(ValueError, match=f'dilation must be a positive integer, got {bad!r}'):
            SemanticDifferenceConv2d(2, 2, dilation=bad)
    with pytest.raises(ValueError, match='groups=True must be a positive integer dividing'):
        SemanticDifferenceConv2d(2, 2, groups=True)


@pytest.mark.parametrize('kwargs, match', [
    (dict(gate_fn='huber'), 'gate_fn must be one of'),
    (dict(guidance='scalar'), "guidance must be one of"),
    (dict(padding_mode='reflect'), 'padding_mode must be one of'),
    (dict(dilation=0), 'dilation must be a positive integer'),
    (dict(dilation=True), 'dilation must be a positive integer'),
    (dict(dilation=1.0), 'dilation must be a positive integer'),
    (dict(lam=-1.0), 'lam must be a finite number > 0'),
    (dict(lam=float('inf')), 'lam must be a finite number > 0'),
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
        semantic_difference_conv2d(u, v, weight, lam=lam)
    with pytest.raises(ValueError, match=r'weight must have shape \(C_out, C_in/groups, 3, 3\)'):
        semantic_difference_conv2d(u, v, weight[:, :1], lam=lam, guidance='shared')
    with pytest.raises(ValueError, match='kernel_size must be 3'):
        SemanticDifferenceConv2d(2, 2, kernel_size=5)


def test_fallback_to_reference_warns_once(monkeypatch):
    monkeypatch.setattr(sdc_module, '_load_ext', lambda: (None, 'No module named mmext._ext'))
    sdc_module._warn_fallback.cache_clear()
    u, v, weight, lam = _inputs()
    with pytest.warns(UserWarning, match='mmext._ext is not available'):
        out = semantic_difference_conv2d(u, v, weight, lam=lam)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        semantic_difference_conv2d(u, v, weight, lam=lam)
    torch.testing.assert_close(out, sdc_reference(u, v, weight, lam=lam))
    for impl in ('cpu', 'cuda'):
        with pytest.raises(RuntimeError, match='not available: the extension mmext._ext is not built'):
            semantic_difference_conv2d(u, v, weight, lam=lam, impl=impl)
    sdc_module._warn_fallback.cache_clear()


@requires_cpu_kernel
def test_unavailable_or_mismatched_impl_is_an_error():
    u, v, weight, lam = _inputs()
    if 'cuda' not in available_impls():
        with pytest.raises(RuntimeError, match='built without CUDA'):
            semantic_difference_conv2d(u, v, weight, lam=lam, impl='cuda')
    else:
        with pytest.raises(ValueError, match="impl='cuda' needs cuda tensors"):
            semantic_difference_conv2d(u, v, weight, lam=lam, impl='cuda')


@requires_cpu_kernel
def test_auto_uses_the_cpu_kernel(monkeypatch):
    calls = []
    monkeypatch.setattr(sdc_module, 'sdc_reference', lambda *a, **k: calls.append(1))
    u, v, weight, lam = _inputs()
    semantic_difference_conv2d(u, v, weight, lam=lam)
    assert not calls


@requires_cpu_kernel
def test_cpu_kernel_runs_under_inference_mode():
    u, v, weight, lam = [t.detach() for t in _inputs()]
    expected = sdc_reference(u, v, weight, lam=lam)
    with torch.inference_mode():
        out = semantic_difference_conv2d(u, v, weight, lam=lam, impl='cpu')
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


@requires_cpu_kernel
@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_cpu_low_precision_runs_in_fp32(dtype):
    u, v, weight, _ = [t.detach() for t in _inputs(dtype=torch.float32)]
    # |dV| / lam > 256 overflows (dV / lam)^2 in fp16; the gate must still be computed.
    u, v, weight = u.to(dtype), (v * 300).to(dtype), weight.to(dtype)
    out = semantic_difference_conv2d(u, v, weight, lam=0.5)
    assert out.dtype == dtype and torch.isfinite(out).all()
    # The kernel computes in fp32 on the values of the inputs, so only the final rounding to the dtype differs:
    # half a unit in the last place (eps / 2 relative), plus fp32 summation noise.
    expected = sdc_reference(u.float(), v.float(), weight.float(), lam=0.5)
    torch.testing.assert_close(out.float(), expected, rtol=torch.finfo(dtype).eps / 2, atol=1e-6)


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
    assert torch.autograd.gradcheck(_positional_lam('cuda', options), (u, v, weight, lam))


def _assert_within_ulps(actual, expected, dtype, ulps):
    """Each tensor within `ulps` units of `dtype` at the scale of its largest expected entry."""
    for name, a, e in zip(('out', 'du', 'dv', 'dweight'), actual, expected):
        tol = ulps * torch.finfo(dtype).eps * e.abs().max().item()
        torch.testing.assert_close(a.double(), e.double(), rtol=0, atol=tol, msg=lambda m: f'{name}: {m}')


@requires_cuda
@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
@pytest.mark.parametrize('guidance', ['per_channel', 'shared'])
def test_cuda_low_precision(dtype, guidance):
    # bf16 and fp16 tensors run in their own dtype on CUDA (fp32 gates and accumulation). The expected values are
    # computed in fp64 from the same rounded inputs, so the error is the op's own: columns and results rounded
    # to the dtype (about half an ulp each at the scale of the output).
    u, v, weight, _ = [t.detach().to(dtype) for t in _inputs(c_in=8, c_v=3 if guidance == 'shared' else 8,
                                                             c_out=8, height=16, width=16, dtype=torch.float32,
                                                             device='cuda')]
    v = v * 300  # (dV / lam)^2 overflows fp16 unless the gate runs in fp32
    grad_out = torch.randn(2, 8, 16, 16, generator=torch.Generator().manual_seed(1)).to('cuda', dtype)
    results = []
    for impl, leaves in (('cuda', (u, v, weight)), ('reference', [t.double() for t in (u, v, weight)])):
        leaves = [t.detach().requires_grad_() for t in leaves]
        out = semantic_difference_conv2d(*leaves, lam=0.5, guidance=guidance, impl=impl)
        results.append((out, *torch.autograd.grad(out, leaves, grad_out.to(out.dtype))))
    assert results[0][0].dtype == dtype
    _assert_within_ulps(results[0], results[1], dtype, ulps=2)


@requires_cuda
def test_cuda_half_weight_gradient_is_accumulated_in_fp32():
    # Every image's dW is about +-1000 (a ramp U makes every column +-1 over 32 x 32 pixels) with alternating
    # signs, so the sum over the batch (about 1) is lost if each image's dW is rounded to fp16 (ulp 1 at 1000).
    batch, size = 16, 32
    ramp = torch.arange(size, dtype=torch.float32, device='cuda').expand(size, size)
    u = ramp.expand(batch, 2, size, size).contiguous()
    v = torch.zeros_like(u)
    weight = torch.randn(2, 2, 3, 3, device='cuda', generator=torch.Generator('cuda').manual_seed(0))
    signs = torch.tensor([(-1.0)**b for b in range(batch)], device='cuda').view(-1, 1, 1, 1)
    noise = 0.01 * torch.randn(batch, 2, size, size, device='cuda', generator=torch.Generator('cuda').manual_seed(1))
    grad_out = (signs + noise).half()
    half = [t.half().requires_grad_() for t in (u, v, weight)]
    out = semantic_difference_conv2d(*half, lam=1.0, impl='cuda')
    dweight = torch.autograd.grad(out, half[2], grad_out)[0]
    leaves = [t.detach().double().requires_grad_() for t in half]
    ref = semantic_difference_conv2d(*leaves, lam=1.0, impl='reference')
    expected = torch.autograd.grad(ref, leaves[2], grad_out.double())[0]
    tol = 2 * torch.finfo(torch.float16).eps * expected.abs().max().item()
    torch.testing.assert_close(dweight.double(), expected, rtol=0, atol=tol)


@requires_cuda
def test_cuda_autocast_runs_in_fp32():
    u, v, weight, _ = [t.detach() for t in _inputs(c_in=8, c_out=8, height=16, width=16, dtype=torch.float32,
                                                   device='cuda')]
    v = v * 300
    with torch.autocast('cuda', dtype=torch.float16):
        mixed = semantic_difference_conv2d(u, v.half(), weight, lam=0.5, impl='cuda')
    assert mixed.dtype == torch.float32 and torch.isfinite(mixed).all()
    expected = semantic_difference_conv2d(u, v.half().float(), weight, lam=0.5, impl='reference')
    torch.testing.assert_close(mixed, expected, rtol=1e-5, atol=1e-5)
