"""torch.compile and torch.export of models that use the SDC operator ``mmext::sdc`` (docs/sdn.md "Operator
registration"): the SDN toy segmentor compiles with ``fullgraph=True`` into one graph that holds the op and matches
eager in its output and gradients; an exported SDN neck holds one ``mmext.sdc`` node per SDC layer.

The whole-segmentor test uses the ``aot_eager`` backend (Dynamo + AOTAutograd, the graphs Inductor gets, without its
C++ code generation, which costs minutes on CPU). The Inductor case (one SDC layer, about a minute on two cores) is
marked slow: ``pytest -m slow tests/test_ops/test_sdc_compile.py``.
"""
import copy
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

import mmext.seg  # noqa: F401  (the configs' custom_imports)
from mmext.ops import SemanticDifferenceConv2d
from mmext.ops.sdc import available_impls

pytestmark = pytest.mark.skipif('cpu' not in available_impls(), reason='mmext._ext is not built')

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SDC_TARGETS = (torch.ops.mmext.sdc, torch.ops.mmext.sdc.default) if 'cpu' in available_impls() else ()


def _sdc_nodes(graph):
    return [node for node in graph.nodes if node.op == 'call_function' and node.target in SDC_TARGETS]


def _toy_segmentor():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'sdn', 'sdn-fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py'))
    cfg.model.pretrained = None
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    for module in model.modules():
        if isinstance(module, nn.Dropout2d):
            module.eval()  # the compiled graph draws its dropout masks in another order
    return model


def _forward_backward(forward, model, inputs):
    logits = forward(inputs, mode='tensor')
    logits.square().mean().backward()
    return logits.detach(), {name: p.grad for name, p in model.named_parameters() if p.grad is not None}


def test_compiled_segmentor_is_one_graph_and_matches_eager():
    eager_model = _toy_segmentor()
    compiled_model = copy.deepcopy(eager_model)
    graphs = []

    def backend(graph_module, example_inputs):
        graphs.append(graph_module)
        return torch._dynamo.lookup_backend('aot_eager')(graph_module, example_inputs)

    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    inputs = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    compiled = torch.compile(compiled_model, backend=backend, fullgraph=True)
    out, grads = _forward_backward(compiled, compiled_model, inputs)
    # No graph break anywhere (the SDC included): one graph, which calls the op once per SDC layer.
    assert not torch._dynamo.utils.counters['graph_break']
    num_sdc = sum(isinstance(m, SemanticDifferenceConv2d) for m in eager_model.modules())
    assert len(graphs) == 1 and len(_sdc_nodes(graphs[0].graph)) == num_sdc == 1
    expected_out, expected_grads = _forward_backward(eager_model, eager_model, inputs)
    assert (out - expected_out).abs().max() <= 1e-5
    assert grads.keys() == expected_grads.keys() and any('sdc' in name for name in grads)
    for name, grad in grads.items():
        assert (grad - expected_grads[name]).abs().max() <= 1e-5, name


@pytest.mark.slow
def test_inductor_compiles_an_sdc_layer():
    torch.manual_seed(0)
    layer = SemanticDifferenceConv2d(4, 6, guidance='shared', learnable_lam=True, padding_mode='replicate')
    u, v = torch.randn(2, 4, 9, 7, requires_grad=True), torch.randn(2, 3, 5, 4)
    torch._dynamo.reset()
    outs = []
    for fn in (layer, torch.compile(layer, fullgraph=True)):
        out = fn(u, v)
        outs.append((out, *torch.autograd.grad(out.square().sum(), (u, layer.weight, layer.raw_lam))))
    for actual, expected in zip(outs[1], outs[0]):
        torch.testing.assert_close(actual, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('mode,levels', [('single_scale', [3]), ('multi_scale', [0, 1, 2])])
def test_export_sdn_neck_has_one_node_per_sdc(mode, levels):
    torch.manual_seed(0)
    in_channels = [4, 8, 8, 16]
    # Earlier tests may leave another default scope (e.g. mmext's, from an emotion Runner).
    with DefaultScope.overwrite_default_scope('mmseg'):
        neck = MODELS.build(dict(type='SDNNeck', in_channels=in_channels, mode=mode, levels=levels,
                                 sdc_cfg=dict(type='SemanticDiffConv2d', learnable_lam=True))).eval()
    inputs = tuple(torch.randn(2, c, 32 // 2**i, 32 // 2**i) for i, c in enumerate(in_channels))
    exported = torch.export.export(neck, (inputs, ))
    nodes = _sdc_nodes(exported.graph)
    assert len(nodes) == len(levels)
    assert all(str(node.target) == 'mmext.sdc.default' for node in nodes)
    assert not [node for node in exported.graph.nodes if 'einsum' in str(node.target)]  # not the reference
    with torch.no_grad():
        for actual, expected in zip(exported.module()(inputs), neck(inputs)):
            torch.testing.assert_close(actual, expected, rtol=1e-5, atol=1e-5)
