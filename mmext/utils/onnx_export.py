"""ONNX export of mmseg segmentors and mmpretrain classifiers with mmext components (design: docs/deployment.md).

The graph is captured with ``torch.export`` and translated by PyTorch's dynamo ONNX exporter (onnxscript), which
handles the two things a TorchScript-era exporter cannot:

* the SDC is either decomposed into standard ONNX operators (the SDC layers run their pure-PyTorch reference formula
  while exporting: shifted slices, gate, 1x1 contraction, :func:`~mmext.ops.sdc.sdc_reference`), so that every
  runtime runs it, or, through the ``torch.library`` operator ``mmext::sdc``, emitted as one custom-domain node
  ``mmext::SemanticDiffConv2d`` for runtimes that have a plugin (:data:`SDC_EXPORTS`);
* BATViT's data-dependent token reduction (top-k, stable sorts, gathers, scatters, clustering) exports as ONNX
  ``TopK``/``GatherElements``/``ScatterElements`` ops; the stable sort, which onnxscript's library lacks, is
  translated here to a ``TopK`` over the whole axis (:func:`onnx_translation_table`).

The exported graph takes the *preprocessed* batch (what the model's data preprocessor returns: channel order and
normalisation applied, ``mean``/``std`` stored in the model's metadata) at a fixed size and returns logits:
``[B, K, H, W]`` resized to the input for a segmentor (``encode_decode``), ``[B, K]`` for a classifier.

Needs ``onnx``, ``onnxscript`` and (to verify) ``onnxruntime`` (``requirements/deploy.txt``); they are imported
only when exporting.
"""
import contextlib
import json
from typing import Dict, Iterator, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

from mmext.ops import SemanticDifferenceConv2d
from mmext.ops.sdc import available_impls
from mmext.utils.validation import check_choice

SDC_EXPORTS = ('decompose', 'custom')
CUSTOM_DOMAIN = 'mmext'
CUSTOM_OP = 'SemanticDiffConv2d'
CUSTOM_OPSET_VERSION = 1


class SegmentorLogits(nn.Module):
    """A segmentor's whole-image logits: ``[B, 3, H, W]`` preprocessed images -> ``[B, K, H, W]``.

    ``encode_decode`` of an mmseg ``EncoderDecoder`` (or ``CascadeEncoderDecoder``), i.e. the decode head's logits
    resized bilinearly to the input size, before any softmax or argmax.
    """

    def __init__(self, segmentor: nn.Module) -> None:
        super().__init__()
        self.segmentor = segmentor

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        size = tuple(inputs.shape[-2:])
        metas = [dict(img_shape=size, pad_shape=size, ori_shape=size)] * inputs.shape[0]
        return self.segmentor.encode_decode(inputs, metas)


class ClassifierLogits(nn.Module):
    """A classifier's logits: ``[B, 3, H, W]`` preprocessed images -> ``[B, K]`` (``mode='tensor'``, no softmax)."""

    def __init__(self, classifier: nn.Module) -> None:
        super().__init__()
        self.classifier = classifier

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.classifier(inputs, mode='tensor')


def logits_model(model: nn.Module) -> nn.Module:
    """Wraps a built mmseg segmentor or mmpretrain classifier into its logits path (:class:`SegmentorLogits`,
    :class:`ClassifierLogits`), in eval mode. A teacher-student wrapper (AugSeg, iMAS) exports the branch that
    predicts (``semi_test_cfg.predict_on``)."""
    model = getattr(model, 'predictor', model)
    if hasattr(model, 'encode_decode'):
        wrapper = SegmentorLogits(model)
    elif hasattr(model, 'head') and hasattr(model, 'extract_feat'):
        wrapper = ClassifierLogits(model)
    else:
        raise TypeError(f'ONNX export supports mmseg segmentors (encode_decode) and mmpretrain classifiers (with a '
                        f'head), got {type(model).__name__}')
    return wrapper.eval()


def preprocess_metadata(data_preprocessor: Optional[nn.Module]) -> Dict[str, str]:
    """What the exported graph expects of its input, from the model's data preprocessor, as the ONNX metadata entry
    ``mmext.preprocess``: a JSON object ``{"bgr_to_rgb": bool, "mean": [...] | null, "std": [...] | null}`` (flip
    the channels of a loaded BGR image if ``bgr_to_rgb``, then ``(x - mean) / std`` per channel)."""
    normalize = data_preprocessor is not None and getattr(data_preprocessor, '_enable_normalize', False)
    # mmengine's ImgDataPreprocessor, mmseg's SegDataPreProcessor, mmpretrain's ClsDataPreprocessor
    flip = any(getattr(data_preprocessor, name, False) for name in ('_channel_conversion', 'channel_conversion',
                                                                     'to_rgb'))
    meta = dict(bgr_to_rgb=bool(flip))
    for name in ('mean', 'std'):
        # 7 significant digits: the float32 buffer's precision (123.675 rather than 123.67500305175781)
        values = getattr(data_preprocessor, name).flatten().tolist() if normalize else None
        meta[name] = None if values is None else [float(f'{v:.7g}') for v in values]
    return {'mmext.preprocess': json.dumps(meta)}


@contextlib.contextmanager
def sdc_impl(model: nn.Module, impl: str) -> Iterator[None]:
    """Within this context every :class:`~mmext.ops.SemanticDifferenceConv2d` of ``model`` runs ``impl``
    ('reference': the SDC traces as standard torch ops; 'cpu': as the one op ``mmext::sdc``)."""
    layers = [m for m in model.modules() if isinstance(m, SemanticDifferenceConv2d)]
    saved = [m.impl for m in layers]
    try:
        for layer in layers:
            layer.impl = impl
        yield
    finally:
        for layer, previous in zip(layers, saved):
            layer.impl = previous


def register_sdc_schema() -> None:
    """Registers the ONNX schema of ``mmext::SemanticDiffConv2d`` (version 1) in this process's ``onnx.defs`` (once).

    onnxscript builds nodes only for operators with a schema; the schema also documents the node for plugin
    writers and lets ``onnx.checker`` / shape inference accept models that contain it.
    """
    from onnx import defs
    if defs.has(CUSTOM_OP, CUSTOM_DOMAIN):
        return
    param, attr, ints, strings = defs.OpSchema.FormalParameter, defs.OpSchema.Attribute, \
        defs.OpSchema.AttrType.INT, defs.OpSchema.AttrType.STRING
    defs.register_schema(
        defs.OpSchema(
            CUSTOM_OP,
            CUSTOM_DOMAIN,
            CUSTOM_OPSET_VERSION,
            'Semantic difference convolution of u gated by v (mmext.ops.semantic_difference_conv2d without bias '
            'and resizing); see docs/deployment.md.',
            inputs=[
                param('u', 'T', 'feature map [B, C_in, H, W]'),
                param('v', 'T', 'guidance [B, C_v, H, W] (C_v = C_in for per-channel gates)'),
                param('weight', 'T', '[C_out, C_in / groups, 3, 3] (the centre tap is unused)'),
                param('lam', 'tensor(float)', 'contrast lambda > 0, a 0-d tensor'),
            ],
            outputs=[param('y', 'T', '[B, C_out, H, W]')],
            type_constraints=[('T', ['tensor(float)', 'tensor(double)', 'tensor(float16)', 'tensor(bfloat16)'],
                               'floating-point tensors')],
            attributes=[
                attr('dilation', ints, 'spacing of the 3x3 taps; the padding equals it'),
                attr('groups', ints, 'channel groups as in Conv'),
                attr('gate_fn', strings, 'charbonnier, pm_rational, pm_exp or gaussian'),
                attr('guidance', strings, 'per_channel or shared'),
                attr('invert_gate', ints, '1 to use 1 - S'),
                attr('padding_mode', strings, 'zeros or replicate'),
            ]))


def onnx_translation_table(sdc_export: str = 'decompose') -> Dict:
    """``custom_translation_table`` of ``torch.onnx.export`` for mmext's models.

    * ``aten::sort.stable`` (BATViT ranks tokens with stable sorts) -> ``TopK`` with k = the axis length. ONNX
      ``TopK`` breaks ties by the lower index in both directions, which is exactly a stable sort.
    * with ``sdc_export='custom'``, ``mmext::sdc`` -> one ``mmext::SemanticDiffConv2d`` node: inputs ``u`` [B, C_in,
      H, W], ``v`` [B, C_v, H, W] (already resized to H x W), ``weight`` [C_out, C_in / groups, 3, 3], ``lam`` (0-d
      float32); attributes ``dilation``, ``groups`` (ints), ``gate_fn``, ``guidance``, ``padding_mode`` (strings),
      ``invert_gate`` (0/1); output [B, C_out, H, W]. A bias is a separate ``Add``.
    """
    check_choice('sdc_export', sdc_export, SDC_EXPORTS)
    import onnx
    import onnxscript
    from onnxscript import opset18 as op

    def sort_stable(self, stable=None, dim=-1, descending=False):
        length = op.Reshape(op.Gather(op.Shape(self), dim, axis=0), op.Constant(value_ints=[1]))
        return op.TopK(self, length, axis=dim, largest=descending, sorted=True)

    table = {torch.ops.aten.sort.stable: sort_stable}
    if sdc_export == 'custom':
        register_sdc_schema()
        sdc_op = getattr(onnxscript.values.Opset(CUSTOM_DOMAIN, CUSTOM_OPSET_VERSION), CUSTOM_OP)

        def sdc_node(u, v, weight, lam, dilation=1, groups=1, gate_fn='charbonnier', guidance='per_channel',
                     invert_gate=False, padding_mode='zeros'):
            lam = op.Cast(lam, to=onnx.TensorProto.FLOAT)
            return sdc_op(u, v, weight, lam, dilation=dilation, groups=groups, gate_fn=gate_fn, guidance=guidance,
                          invert_gate=int(invert_gate), padding_mode=padding_mode)

        table[torch.ops.mmext.sdc.default] = sdc_node
    return table


def export_onnx(model: nn.Module,
                inputs: torch.Tensor,
                out: str,
                sdc_export: str = 'decompose',
                opset: Optional[int] = None,
                metadata: Optional[Dict[str, str]] = None,
                optimize: bool = True):
    """Exports ``model(inputs)`` (a logits wrapper, see :func:`logits_model`) to the ONNX file ``out``.

    Args:
        model (nn.Module): in eval mode, called with ``inputs`` only.
        inputs (Tensor): an example batch, [B, 3, H, W]; the graph has its (static) shape.
        out (str): ``.onnx`` path; weights are stored inside the file (external data only beyond protobuf's 2 GB).
        sdc_export (str): 'decompose' (standard operators) or 'custom' (one ``mmext::SemanticDiffConv2d`` node
            per SDC call), see :func:`onnx_translation_table`.
        opset (int, optional): ONNX opset of the default domain; None for the exporter's default.
        metadata (dict, optional): string key/values stored in the model's ``metadata_props``.
        optimize (bool): run onnxscript's graph optimiser (constant folding, redundant-op removal). Default True.

    Returns:
        torch.onnx.ONNXProgram: the exported program (``.model_proto`` is the ONNX model).
    """
    check_choice('sdc_export', sdc_export, SDC_EXPORTS)
    if sdc_export == 'custom' and 'cpu' not in available_impls():
        raise RuntimeError("sdc_export='custom' needs the compiled operator mmext::sdc, but mmext._ext is not built "
                           "(pip install -e . --no-build-isolation); use sdc_export='decompose'.")
    with sdc_impl(model, 'reference' if sdc_export == 'decompose' else 'cpu'), torch.no_grad():
        onnx_program = torch.onnx.export(
            model, (inputs, ),
            dynamo=True,
            opset_version=opset,
            input_names=['input'],
            output_names=['output'],
            custom_translation_table=onnx_translation_table(sdc_export),
            optimize=optimize,
            verbose=False)
    onnx_program.model.metadata_props.update(metadata or {})
    onnx_program.model.metadata_props['mmext.sdc_export'] = sdc_export
    onnx_program.save(out)
    return onnx_program


def run_onnxruntime(path: str, inputs: np.ndarray) -> np.ndarray:
    """The output of the ONNX model at ``path`` for ``inputs`` in onnxruntime on the CPU."""
    import onnxruntime
    session = onnxruntime.InferenceSession(path, providers=['CPUExecutionProvider'])
    return session.run(None, {session.get_inputs()[0].name: inputs})[0]


def verify_onnx(path: str, model: nn.Module, inputs: torch.Tensor) -> float:
    """Max absolute difference between onnxruntime's output for ``inputs`` and ``model(inputs)`` in PyTorch."""
    with torch.no_grad():
        expected = model(inputs).numpy()
    actual = run_onnxruntime(path, inputs.numpy())
    if actual.shape != expected.shape:
        raise RuntimeError(f'{path}: onnxruntime output shape {actual.shape} != PyTorch {expected.shape}')
    return float(np.abs(actual - expected).max())


def custom_nodes(onnx_model, domain: str = CUSTOM_DOMAIN) -> Sequence[Tuple[str, str]]:
    """``(domain, op_type)`` of every node of ``onnx_model`` (an ``onnx.ModelProto``) in ``domain``, subgraphs and
    local functions included."""
    graphs = [onnx_model.graph] + [f for f in onnx_model.functions]
    found = []
    while graphs:
        graph = graphs.pop()
        for node in graph.node:
            if node.domain == domain:
                found.append((node.domain, node.op_type))
            graphs.extend(attr.g for attr in node.attribute if attr.g is not None and attr.HasField('g'))
    return found
