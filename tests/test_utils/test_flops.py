"""FLOP counting of the semantic difference convolution (mmext/utils/flops.py) against hand counts.

Convention (mmengine's): one multiply-add = one FLOP. An SDC call counts ``sdc`` = B·H·W·C_out·(C_in/G)·9 (its 3×3
weighted sum, as a 3×3 convolution is counted) and ``sdc_gate`` = B·H·W·8·(C_v + C_in) (squared guidance differences
and the gating multiply, per non-centre tap).
"""
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmseg.registry import MODELS

import mmext.seg  # noqa: F401  (the configs' custom_imports)
from mmext.ops import SemanticDifferenceConv2d, semantic_difference_conv2d
from mmext.ops.sdc import available_impls
from mmext.utils import count_flops, flop_analyzer
from tools.analysis_tools.get_flops import get_flops

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
IMPLS = ['reference', pytest.param('cpu', marks=pytest.mark.skipif('cpu' not in available_impls(),
                                                                    reason='mmext._ext is not built'))]


@pytest.mark.parametrize('impl', IMPLS)
def test_sdc_module_matches_hand_count(impl):
    # 128 -> 128 channels at 8x8, per-channel gate: 128 * 128 * 9 * 64 = 9,437,184 multiply-adds for the weighted
    # sum and 8 * 64 * (128 + 128) = 131,072 for the gate.
    module = SemanticDifferenceConv2d(128, 128, impl=impl).eval()
    u, v = torch.randn(1, 128, 8, 8), torch.randn(1, 128, 8, 8)
    expected = module(u, v)
    result = count_flops(module, inputs=(u, v))
    assert result['by_operator'] == {'sdc': 9_437_184, 'sdc_gate': 131_072}
    assert result['flops'] == 9_568_256
    torch.testing.assert_close(module(u, v), expected)  # counting leaves the module as it was


@pytest.mark.parametrize('deterministic', [False, True], ids=['default', 'deterministic'])
@pytest.mark.parametrize('device', ['cpu', 'meta'])
def test_grouped_shared_gate_with_resized_guidance(device, deterministic):
    # B=2, 8 -> 12 channels in 4 groups, 5x6, shared gate over C_v=3 channels given at 3x3:
    # sdc = 2 * 30 * 12 * (8 / 4) * 9 = 12,960; gate = 2 * 30 * 8 * (3 + 8) = 5,280; the bilinear resize of V to
    # 5x6 is mmengine's upsample_bilinear2d count, 4 per output element: 4 * 2 * 3 * 30 = 720.
    # Deterministic algorithms (a config's randomness.deterministic) send a non-CPU interpolate through a Python
    # decomposition that jit tracing rejects; the counter must still work and leave the flag as it found it.
    module = SemanticDifferenceConv2d(8, 12, groups=4, guidance='shared').eval().to(device)
    u, v = torch.randn(2, 8, 5, 6, device=device), torch.randn(2, 3, 3, 3, device=device)
    torch.use_deterministic_algorithms(deterministic)
    assert dict(flop_analyzer(module, (u, v)).by_operator()) == {
        'sdc': 12_960, 'sdc_gate': 5_280, 'upsample_bilinear2d': 720}
    assert torch.are_deterministic_algorithms_enabled() == deterministic


class _FunctionalSDC(nn.Module):
    """The functional op inside another module, with a 1x1 conv in front: 6 -> 6 channels."""

    def __init__(self, impl):
        super().__init__()
        self.impl = impl
        self.proj = nn.Conv2d(6, 6, 1, bias=False)
        self.weight = nn.Parameter(torch.randn(4, 6, 3, 3))

    def forward(self, u):
        return semantic_difference_conv2d(u, self.proj(u), self.weight, lam=2.0, dilation=2, impl=self.impl)


@pytest.mark.parametrize('impl', IMPLS)
def test_functional_call_is_counted_once(impl):
    # 1x6x7x7: conv 6 * 6 * 49 = 1,764; sdc 49 * 4 * 6 * 9 = 10,584; gate 49 * 8 * (6 + 6) = 4,704.
    analyzer = flop_analyzer(_FunctionalSDC(impl).eval(), (torch.randn(1, 6, 7, 7), ))
    assert dict(analyzer.by_operator()) == {'conv': 1_764, 'sdc': 10_584, 'sdc_gate': 4_704}
    assert not analyzer.unsupported_ops()


def test_reference_still_traces_as_torch_ops_outside_the_counter():
    # The one-op node exists only while counting; a plain trace (TorchScript / ONNX export) keeps torch ops.
    module = SemanticDifferenceConv2d(2, 2, impl='reference').eval()
    graph = torch.jit.trace(module, (torch.randn(1, 2, 5, 5), torch.randn(1, 2, 5, 5))).graph
    kinds = {node.kind() for node in graph.nodes()}
    assert 'aten::einsum' in kinds and not any(kind.startswith('prim::PythonOp') for kind in kinds)


def _config(name):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'sdn', name))
    cfg.model.pretrained = None
    return cfg


def test_get_flops_counts_the_sdn_neck():
    sdn_cfg = _config('sdn-fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py')
    sdn = get_flops(sdn_cfg, (64, 64))
    baseline = get_flops(_config('fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py'), (64, 64))
    # Hand count of the SDC from the layer's width and the size of the map it refines.
    model = MODELS.build(sdn_cfg.model).eval()
    sizes = []
    sdcs = [m for m in model.modules() if isinstance(m, SemanticDifferenceConv2d)]
    for m in sdcs:
        m.register_forward_hook(lambda module, args, out: sizes.append((module, args[0].shape[-2:], args[1].shape[1])))
    with torch.no_grad():
        model.extract_feat(torch.randn(1, 3, 64, 64))
    assert len(sizes) == len(sdcs) >= 1
    expected_sdc = sum(m.out_channels * m.in_channels // m.groups * 9 * h * w for m, (h, w), _ in sizes)
    expected_gate = sum(8 * h * w * (c_v + m.in_channels) for m, (h, w), c_v in sizes)
    assert sdn['by_operator']['sdc'] == expected_sdc and sdn['by_operator']['sdc_gate'] == expected_gate
    # The neck is the only difference: its count (convs, norms, resizes and the SDC) is the difference.
    neck_inputs = (tuple(torch.randn(shape) for shape in _neck_input_shapes(model)), )
    assert sdn['flops'] - baseline['flops'] == flop_analyzer(model.neck, neck_inputs).total()


def _neck_input_shapes(model):
    captured = []
    hook = model.neck.register_forward_pre_hook(lambda module, args: captured.append([x.shape for x in args[0]]))
    with torch.no_grad():
        model.extract_feat(torch.randn(1, 3, 64, 64))
    hook.remove()
    return captured[0]
