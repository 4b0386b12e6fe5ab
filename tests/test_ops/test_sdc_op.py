"""The SDC as a dispatcher operator, ``torch.ops.mmext.sdc`` (mmext/ops/sdc.py, docs/sdn.md "Operator
registration"): ``torch.library.opcheck`` of its schema, fake (meta) implementation, autograd formula and
dispatch on the shapes of the kernel tests, tracing as one node, and its autocast policy.
"""
import pytest
import torch
from test_sdc import GRADCHECK_CASES, HAS_CPU_KERNEL, HAS_CUDA_KERNEL, MATCH_CASES, _case_id, _case_inputs, _inputs

from mmext.ops import semantic_difference_conv2d
from mmext.ops.sdc import sdc_reference

pytestmark = pytest.mark.skipif(not HAS_CPU_KERNEL, reason='mmext._ext is not built')

OPTION_NAMES = ('dilation', 'groups', 'gate_fn', 'guidance', 'invert_gate', 'padding_mode')
DEFAULTS = dict(dilation=1, groups=1, gate_fn='charbonnier', guidance='per_channel', invert_gate=False,
                padding_mode='zeros')
DEVICES = ['cpu', pytest.param('cuda', marks=pytest.mark.skipif(not HAS_CUDA_KERNEL, reason='needs a GPU'))]


def _op_args(case, dtype=torch.float32, device='cpu', lam_dtype=None):
    """Positional arguments of ``mmext::sdc`` for a kernel-test case (lam as a 0-dim tensor)."""
    case = dict(case)
    batch, c_in, height, width = case.pop('shape')
    u, v, weight, lam = _inputs(batch, c_in, case.pop('c_v', None), height, width, case.pop('c_out'),
                                case.get('groups', 1), dtype=dtype, device=device, seed=3)
    lam = lam.detach().to(lam_dtype or dtype).requires_grad_()
    options = dict(DEFAULTS, **case)
    return (u, v, weight, lam, *(options[name] for name in OPTION_NAMES))


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('case', MATCH_CASES, ids=lambda c: 'x'.join(map(str, c['shape'])))
def test_opcheck(case, device):
    # Schema (no mutation or aliasing), fake tensor shapes/strides/dtype against the kernel, the autograd
    # registration, and AOT dispatch with static and dynamic shapes, which also runs mmext::sdc_backward.
    torch.library.opcheck(torch.ops.mmext.sdc.default, _op_args(case, device=device))


@pytest.mark.parametrize('dtype,lam_dtype', [(torch.float64, torch.float64), (torch.bfloat16, torch.float32),
                                             (torch.float16, torch.float64)])
def test_opcheck_dtypes(dtype, lam_dtype):
    # CPU kernels compute fp16/bf16 in float32 and return the input dtype, as the fake implementation says.
    torch.library.opcheck(torch.ops.mmext.sdc.default, _op_args(MATCH_CASES[2], dtype, lam_dtype=lam_dtype))


def test_opcheck_backward_op():
    args = [t.detach() if isinstance(t, torch.Tensor) else t for t in _op_args(MATCH_CASES[1])]
    grad_out = torch.randn(3, 4, 8, 5).transpose(2, 3).contiguous().transpose(2, 3)  # strided, as autograd may
    torch.library.opcheck(torch.ops.mmext.sdc_backward.default, (grad_out, *args))


@pytest.mark.parametrize('case', GRADCHECK_CASES[::2], ids=_case_id)
def test_op_matches_reference_and_its_gradients(case):
    (u, v, weight, lam), options = _case_inputs(case)
    expected = sdc_reference(u, v, weight, lam=lam, **options)
    out = torch.ops.mmext.sdc(u, v, weight, lam, *(options[name] for name in OPTION_NAMES))
    torch.testing.assert_close(out, expected)
    grad_out = torch.randn_like(out)
    torch.testing.assert_close(torch.autograd.grad(out, (u, v, weight, lam), grad_out),
                               torch.autograd.grad(expected, (u, v, weight, lam), grad_out))


def test_bad_options_are_named():
    u, v, weight, lam = [t.detach() for t in _inputs()]
    for index, value, match in ((6, 'huber', "gate_fn must be one of .*, got 'huber'"),
                                (7, 'scalar', "guidance must be 'per_channel' or 'shared', got 'scalar'"),
                                (9, 'reflect', "padding_mode must be 'zeros' or 'replicate', got 'reflect'")):
        args = [u, v, weight, lam, *DEFAULTS.values()]
        args[index] = value
        with pytest.raises(RuntimeError, match=match):
            torch.ops.mmext.sdc(*args)


def test_meta_tensors_give_the_output_shape():
    u, v, weight, lam = [t.detach().to('meta') for t in _inputs(batch=3, c_in=4, c_out=6, groups=2)]
    out = torch.ops.mmext.sdc(u, v, weight, lam, 1, 2)
    assert out.device.type == 'meta' and out.shape == (3, 6, 5, 6) and out.dtype == torch.float64


def test_jit_trace_records_one_node():
    u, v, weight, lam = [t.detach() for t in _inputs()]
    graph = torch.jit.trace(lambda u, v: semantic_difference_conv2d(u, v, weight, lam=lam, impl='cpu'), (u, v)).graph
    assert [node.kind() for node in graph.nodes()].count('mmext::sdc') == 1


@pytest.mark.parametrize('impl', ['auto', 'reference'])
@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('autocast_dtype', [torch.bfloat16, torch.float16])
def test_autocast_runs_the_op_in_float32(device, autocast_dtype, impl):
    # Policy: inside autocast the op casts u, v and weight to float32 and returns float32; the gradients reach
    # low-precision inputs in their own dtype. (dV / lam)^2 of |dV| / lam > 256 would overflow fp16.
    u, v, weight, _ = [t.detach().to(device) for t in _inputs(c_in=8, c_out=8, height=16, width=16,
                                                              dtype=torch.float32)]
    low_u, low_v = (u.to(autocast_dtype).requires_grad_(), (300 * v).to(autocast_dtype).requires_grad_())
    weight.requires_grad_()
    with torch.autocast(device, dtype=autocast_dtype):
        direct = torch.ops.mmext.sdc(low_u, low_v, weight.to(autocast_dtype), torch.tensor(0.5, device=device))
        out = semantic_difference_conv2d(low_u, low_v, weight, lam=0.5, impl=impl)
    assert direct.dtype == out.dtype == torch.float32 and torch.isfinite(out).all()
    expected = sdc_reference(low_u.detach().float(), low_v.detach().float(), weight.detach(), lam=0.5)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    weight_rounded = weight.detach().to(autocast_dtype).float()
    expected_direct = sdc_reference(low_u.detach().float(), low_v.detach().float(), weight_rounded, lam=0.5)
    torch.testing.assert_close(direct, expected_direct, rtol=1e-5, atol=1e-5)
    out.sum().backward()
    assert low_u.grad.dtype == low_v.grad.dtype == autocast_dtype and weight.grad.dtype == torch.float32
    # Outside autocast the op keeps the inputs' dtype.
    assert torch.ops.mmext.sdc(low_u, low_v, weight.to(autocast_dtype), torch.tensor(0.5, device=device)).dtype == \
        autocast_dtype
