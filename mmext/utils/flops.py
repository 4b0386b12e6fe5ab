"""FLOP counting with mmengine's ``FlopAnalyzer`` plus the ops it silently drops: attention and mmext's SDC.

mmengine 0.10.7 (like fvcore) traces the model and counts FLOPs per aten op; it counts one multiply-add as one FLOP,
which is what ViT papers call "FLOPs" (DeiT-S: 4.6 G). It has no handle for ``aten::scaled_dot_product_attention``,
which mmpretrain's and mmseg's attention layers call on torch >= 2.0, so the QK^T and AV products (0.36 G of DeiT-S)
are reported as "unsupported" and left out. Nor can it see into mmext's semantic difference convolution (SDC, the op
of the SDN neck): the compiled kernel traces as one opaque operator, ``mmext::sdc``. :func:`flop_analyzer` adds
handles for both, and traces every SDC call as one op whichever implementation runs
(:func:`mmext.ops.sdc.sdc_traced_as_one_op`), so the count does not depend on whether the extension is built.
``get_model_complexity_info`` cannot take extra handles, hence a function of our own.

What is still not counted, on purpose: index ops (``gather``, ``scatter``, ``topk``, ``argsort``) move data and do
no arithmetic; element-wise ops (softmax, GELU, residual adds, the weighted sums of token merging) are not counted
by mmengine for any model, so leaving them out keeps numbers comparable with published ones. Pairwise distances and
similarities in token reduction are written as matmuls, so they are counted (``aten::matmul``).
"""
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape
from mmengine.analysis.print_helper import _format_size
from torch import Tensor, nn

from mmext.ops.sdc import sdc_traced_as_one_op

__all__ = ['sdpa_flop_jit', 'sdc_flop_jit', 'EXTRA_FLOP_HANDLES', 'flop_analyzer', 'count_flops']


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """Multiply-adds of ``scaled_dot_product_attention(q, k, v)``: QK^T plus AV.

    Args:
        inputs (list[torch._C.Value]): traced inputs; q [..., Nq, d], k [..., Nk, d], v [..., Nk, dv].
        outputs (list[torch._C.Value]): traced outputs (unused).

    Returns:
        int: ``prod(...) * Nq * Nk * (d + dv)``; the softmax and the scaling are element-wise and not counted.
    """
    q_shape, k_shape, v_shape = (get_shape(v) for v in inputs[:3])
    batch = 1
    for dim in q_shape[:-2]:
        batch *= dim
    return batch * q_shape[-2] * k_shape[-2] * (q_shape[-1] + v_shape[-1])


def sdc_flop_jit(inputs: List[Any], outputs: List[Any]) -> Counter:
    """Multiply-adds of one semantic difference convolution, as two entries: ``sdc`` and ``sdc_gate``.

    Args:
        inputs (list[torch._C.Value]): traced inputs, starting with u [B, C_in, H, W], v [B, C_v, H, W] (already
            resized) and weight [C_out, C_in / G, 3, 3].
        outputs (list[torch._C.Value]): traced outputs (unused).

    Returns:
        Counter: ``sdc`` = ``B * H * W * C_out * (C_in / G) * 9``, the weighted sum counted like the 3x3
        convolution it generalises; ``sdc_gate`` = ``B * H * W * 8 * (C_v + C_in)``: per non-centre tap, one
        multiply-add per guidance channel for the squared differences (summed over channels by the shared gate) and
        one multiply per input channel applying the gate. The differences and the gate function (sqrt/exp per
        gate) are element-wise and not counted, as FLOP counters leave out activations.
    """
    batch, c_in, height, width = get_shape(inputs[0])
    c_v = get_shape(inputs[1])[1]
    c_out, in_per_group = get_shape(inputs[2])[:2]
    pixels = batch * height * width
    return Counter(sdc=pixels * c_out * in_per_group * 9, sdc_gate=pixels * 8 * (c_v + c_in))


#: op handles added to mmengine's defaults: ``F.scaled_dot_product_attention`` traces as one aten op; an SDC call
#: as ``SemanticDifferenceConv2dOp`` inside :func:`mmext.ops.sdc.sdc_traced_as_one_op` (which :func:`flop_analyzer`
#: enters) and as the operator ``mmext::sdc`` of the compiled extension.
EXTRA_FLOP_HANDLES = {
    'aten::scaled_dot_product_attention': sdpa_flop_jit,
    'prim::PythonOp.SemanticDifferenceConv2dOp': sdc_flop_jit,
    'mmext::sdc': sdc_flop_jit,
}


class _FlopAnalyzer(FlopAnalyzer):
    """``FlopAnalyzer`` that traces every SDC call as one op (the trace runs lazily, on the first query)."""

    def _analyze(self):
        # With deterministic algorithms on (mmengine's ``randomness.deterministic``), ``F.interpolate`` of a non-CPU
        # tensor takes a Python decomposition that cannot be jit-traced; counting FLOPs runs no kernel anyway.
        deterministic = torch.are_deterministic_algorithms_enabled()
        warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
        torch.use_deterministic_algorithms(False)
        try:
            with sdc_traced_as_one_op():
                return super()._analyze()
        finally:
            torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)


def flop_analyzer(model: nn.Module, inputs: Union[Tensor, Tuple[Any, ...]]) -> FlopAnalyzer:
    """mmengine ``FlopAnalyzer`` that also counts scaled-dot-product attention and the SDC (:func:`sdc_flop_jit`).

    Args:
        model (nn.Module): model to trace; call ``model.eval()`` first (dropout and training-only branches).
        inputs (Tensor | tuple): positional inputs of ``model.forward``.

    Returns:
        FlopAnalyzer: ``.total()`` is the multiply-add count; ``.by_module()`` / ``.by_operator()`` break it down.
    """
    analyzer = _FlopAnalyzer(model, inputs).set_op_handle(**EXTRA_FLOP_HANDLES)
    return analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)


def count_flops(model: nn.Module,
                input_shape: Optional[Sequence[int]] = None,
                inputs: Union[Tensor, Tuple[Any, ...], None] = None) -> Dict[str, Any]:
    """FLOPs (multiply-adds) and parameters of a model, attention and SDC included.

    Args:
        model (nn.Module): model in eval mode.
        input_shape (Sequence[int], optional): shape of one input without the batch dim, e.g. (3, 224, 224);
            a random batch of 1 is fed. Give either this or ``inputs``.
        inputs (Tensor | tuple, optional): the exact inputs of ``model.forward``.

    Returns:
        dict: ``flops`` (int), ``params`` (int), ``flops_str`` / ``params_str`` (e.g. '4.61G', '22.05M') and
        ``by_operator`` (dict op -> FLOPs).
    """
    if (input_shape is None) == (inputs is None):
        raise ValueError('count_flops needs exactly one of input_shape=(C, H, W) or inputs=...')
    if inputs is None:
        device = next(model.parameters()).device
        inputs = (torch.randn(1, *input_shape, device=device), )
    with torch.no_grad():
        analyzer = flop_analyzer(model, inputs)
        flops = analyzer.total()
    params = parameter_count(model)['']
    return dict(
        flops=flops,
        params=params,
        flops_str=_format_size(flops),
        params_str=_format_size(params),
        by_operator=dict(analyzer.by_operator()))
