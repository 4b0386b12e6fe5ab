"""tools/deployment/pytorch2onnx.py: the SDN and BAT toy models (checkpoints saved here) run in onnxruntime as in
PyTorch; SDC options other than the toy's decompose exactly; the custom-node option; the stable-sort translation
BATViT's token ranking relies on."""
import copy
import json
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

onnx = pytest.importorskip('onnx')
pytest.importorskip('onnxscript')
pytest.importorskip('onnxruntime')

from mmengine.config import Config  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402
from mmengine.runner import load_checkpoint  # noqa: E402
from mmseg.registry import MODELS  # noqa: E402

import mmext.seg  # noqa: E402,F401  (registers SDNNeck)
from mmext.ops.sdc import available_impls  # noqa: E402
from mmext.utils.onnx_export import (CUSTOM_DOMAIN, CUSTOM_OP, custom_nodes, export_onnx, logits_model,  # noqa: E402
                                     register_sdc_schema, run_onnxruntime)
from tools.deployment import pytorch2onnx  # noqa: E402

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SDN_TOY = osp.join(REPO_ROOT, 'configs', 'sdn', 'sdn-fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py')
BAT_TOY = osp.join(REPO_ROOT, 'configs', 'bat', 'bat_vit-tiny-p4-kr0.7_1xb64-30e_synthetic-shapes-32px.py')
ATOL = 1e-4


def save_trained_like_checkpoint(config: str, path: str) -> nn.Module:
    """Builds the config's model, moves every parameter and norm statistic away from its initial value (a trained
    model's stand-in: BN no longer the identity, the SDN fusion no longer an identity) and saves it as mmengine
    does. Returns the model, loaded back from the file."""
    cfg = Config.fromfile(config)
    model = pytorch2onnx.build_model(copy.deepcopy(cfg), None)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            noise = torch.rand(tensor.shape, generator=gen) if name.endswith('running_var') else \
                torch.randn(tensor.shape, generator=gen)
            tensor.copy_(0.5 + noise if name.endswith('running_var') else tensor + 0.05 * noise)
    torch.save(dict(state_dict=model.state_dict(), meta=dict(iter=1000)), path)
    reloaded = pytorch2onnx.build_model(cfg, None)
    load_checkpoint(reloaded, path, map_location='cpu', strict=True)
    return reloaded


def assert_onnxruntime_matches(path: str, model: nn.Module, shape) -> float:
    inputs = torch.randn(*shape, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = logits_model(model)(inputs).numpy()
    actual = run_onnxruntime(path, inputs.numpy())
    assert actual.shape == expected.shape
    difference = float(np.abs(actual - expected).max())
    assert difference <= ATOL, difference
    return difference


def export_toy(config: str, size: int, tmp_path) -> 'onnx.ModelProto':
    """Saves a checkpoint of the toy, exports it with the tool (its own --verify on), and checks onnxruntime against
    a model loaded independently from the checkpoint."""
    checkpoint, out = str(tmp_path / 'toy.pth'), str(tmp_path / 'toy.onnx')
    model = save_trained_like_checkpoint(config, checkpoint)
    verified = pytorch2onnx.main([config, checkpoint, '--shape', str(size), str(size), '--batch-size', '2', '--out',
                                  out, '--verify'])
    assert verified <= ATOL
    assert_onnxruntime_matches(out, model, (2, 3, size, size))
    return onnx.load(out)


def test_sdn_toy_segmentor_runs_in_onnxruntime(tmp_path):
    graph = export_toy(SDN_TOY, 64, tmp_path)
    # Standard operators only; the SDC's decomposition: shifted slices (Pad, Slice), the gate, the contraction.
    assert {node.domain for node in graph.graph.node} == {''}
    assert {'Pad', 'Slice', 'Sqrt', 'Einsum'} <= {node.op_type for node in graph.graph.node}
    meta = {prop.key: prop.value for prop in graph.metadata_props}
    assert json.loads(meta['mmext.preprocess']) == dict(bgr_to_rgb=True, mean=[123.675, 116.28, 103.53],
                                                        std=[58.395, 57.12, 57.375])
    assert meta['mmext.sdc_export'] == 'decompose'


def test_bat_toy_classifier_runs_in_onnxruntime(tmp_path):
    op_types = {node.op_type for node in export_toy(BAT_TOY, 32, tmp_path).graph.node}
    # The data-dependent reduction: ranking (TopK), token gathers, the clustering's argmin and scatter of ids.
    assert {'TopK', 'GatherElements', 'ArgMin', 'ScatterElements'} <= op_types


class _TwoLevelSDN(nn.Module):
    """An SDNNeck over a map and its half-size copy (multi-scale: level 0 is guided by level 1), with SDC options
    other than the toy's; returns both refined levels summed at full size. [B, 8, H, W] -> [B, 8, H, W]."""
    SDC_CFG = dict(type='SemanticDiffConv2d', gate_fn='pm_exp', guidance='shared', dilation=2, lam=0.7, bias=True,
                   padding_mode='replicate')

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        with DefaultScope.overwrite_default_scope('mmseg'):  # the tool tests leave another scope set
            self.neck = MODELS.build(
                dict(type='SDNNeck', in_channels=[8, 8], sdc_cfg=self.SDC_CFG, norm_cfg=dict(type='BN')))
        for block in self.neck.blocks.values():
            nn.init.normal_(block.sdc.bias)

    def forward(self, x):
        fine, coarse = self.neck([x, F.avg_pool2d(x, 2)])
        return fine + F.interpolate(coarse, size=x.shape[-2:], mode='nearest')


def test_sdc_options_decompose_to_what_pytorch_computes(tmp_path):
    model, out = _TwoLevelSDN().eval(), str(tmp_path / 'sdn_neck.onnx')
    x = torch.randn(2, 8, 12, 16)
    export_onnx(model, x, out)
    with torch.no_grad():
        expected = model(x).numpy()
    np.testing.assert_allclose(run_onnxruntime(out, x.numpy()), expected, rtol=0, atol=ATOL)


@pytest.mark.skipif('cpu' not in available_impls(), reason='the custom node needs the compiled operator mmext::sdc')
def test_sdc_custom_node(tmp_path):
    out = str(tmp_path / 'sdn_neck_custom.onnx')
    export_onnx(_TwoLevelSDN().eval(), torch.randn(2, 8, 12, 16), out, sdc_export='custom')
    model = onnx.load(out)
    assert custom_nodes(model) == [(CUSTOM_DOMAIN, CUSTOM_OP)] * 2  # one per SDN block
    for node in (n for n in model.graph.node if n.domain == CUSTOM_DOMAIN):
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        assert attributes == dict(dilation=2, groups=1, gate_fn=b'pm_exp', guidance=b'shared', invert_gate=0,
                                  padding_mode=b'replicate')
        assert len(node.input) == 4  # u, v (resized to u's size), weight, lam; the bias is an Add after it
    assert {(o.domain, o.version) for o in model.opset_import} >= {(CUSTOM_DOMAIN, 1)}
    # Nothing of the decomposition is left, and with the schema the model is valid ONNX.
    assert not {'Einsum', 'Exp'} & {n.op_type for n in model.graph.node}
    register_sdc_schema()
    onnx.checker.check_model(model, full_check=True)


def test_custom_export_cannot_be_verified_in_onnxruntime(tmp_path):
    with pytest.raises(SystemExit):
        pytorch2onnx.parse_args([SDN_TOY, '--shape', '8', '8', '--out', 'x.onnx', '--sdc-export', 'custom',
                                 '--verify'])


class _StableSorts(nn.Module):

    def forward(self, x):
        descending = x.sort(dim=1, descending=True, stable=True).indices
        return torch.cat([descending, x.sort(dim=1, stable=True).indices], dim=1)


def test_stable_sort_keeps_tied_elements_in_index_order(tmp_path):
    # Many ties (BATViT ranks tokens by scores that can tie): the exported indices must be torch's, tie for tie.
    x = torch.tensor([[1., 3., 1., 2., 3., 1., 2., 2.], [0., 0., 0., 0., 5., 5., 0., 5.]])
    out = str(tmp_path / 'sort.onnx')
    export_onnx(_StableSorts().eval(), x, out, optimize=False)
    np.testing.assert_array_equal(run_onnxruntime(out, x.numpy()), _StableSorts()(x).numpy())
