"""Semantic difference convolution (SDC), the operator of the Semantic Diffusion Network.

Tan, Wu, Pi, "Semantic Diffusion Network for Semantic Segmentation", NeurIPS 2022 (arXiv 2302.02057). No official
code exists; the operator is written from the equations of mmext's design note (docs/sdn.md, "SDC operator"). A 3x3
convolution over centred differences of a feature map U whose taps are gated by the similarity of the two pixels
on a guidance map V::

    Y[b, o, p] = sum_{c in group(o)} sum_k w[o, c, k] * S[b, c|., k, p] * (U[b, c, p + delta_k] - U[b, c, p])

with offsets ``delta_k`` in ``{-d, 0, d}^2`` (``d`` = dilation = padding) and the gate ``S`` computed from V:

* ``guidance='per_channel'`` (needs ``C_v == C_in``): ``S[b, c, k, p] = g(dV[b, c, k, p]^2)``;
* ``guidance='shared'``: one gate per pixel and tap, ``S[b, k, p] = g(sum_c dV[b, c, k, p]^2)``, V may have any
  number of channels.

``g(q) = f(q / lam^2)`` with ``f`` one of ``GATE_FNS``: charbonnier ``(1 + z)^-1/2``, pm_rational ``1 / (1 + z)``,
pm_exp ``exp(-z)``, gaussian ``exp(-z / 2)``. All gates are 1 where V does not change, so with ``S == 1`` SDC is
a central pixel-difference convolution (``conv3x3(U, w) - conv1x1(U, sum_k w)``).

Two implementations compute the same function:

* the operator ``torch.ops.mmext.sdc`` compiled in ``mmext._ext`` (``mmext/ops/csrc``): a tiled column-buffer
  kernel on CPU and im2col/col2im kernels on CUDA, both with hand-written backward passes and memory far below the
  reference's. It is a dispatcher operator with a fake (meta) implementation, an autograd formula and an autocast
  rule (:func:`_register_op`), so ``torch.compile`` traces it without a graph break and ``torch.export`` records it
  as one node ``mmext.sdc``;
* :func:`sdc_reference`, a readable pure-PyTorch version built from shifted slices (no ``F.unfold``), used by the
  tests and automatically when the extension is not built.

Shape shorthand: ``B`` batch, ``C_in`` channels of U, ``C_v`` channels of V, ``C_out`` output channels, ``H x W``
the spatial size of U, ``h x w`` that of V before resizing, ``G`` groups.
"""
import contextlib
import functools
import math
import operator
import warnings
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.registry import MODELS

# Order matches the gate ids of mmext/ops/csrc/common/sdc_common.hpp.
GATE_FNS = ('charbonnier', 'pm_rational', 'pm_exp', 'gaussian')
GUIDANCE_MODES = ('per_channel', 'shared')
PADDING_MODES = ('zeros', 'replicate')
IMPLS = ('auto', 'reference', 'cpu', 'cuda')
# Row-major taps of the 3x3 window without the centre (4): its difference is U(p) - U(p) = 0, so both
# implementations leave it out (and with it the 0 * f(0 / lam^2) terms that would be NaN for an underflowing lam).
NON_CENTRE_TAPS = (0, 1, 2, 3, 5, 6, 7, 8)

Lam = Union[float, torch.Tensor]


@functools.lru_cache(maxsize=None)
def _load_ext():
    """Returns ``(mmext._ext or None, why it failed to import)``."""
    try:
        from mmext import _ext  # torch is imported above, so its libraries are loaded first
    except ImportError as err:
        return None, str(err)
    if not hasattr(torch.ops.mmext, 'sdc'):
        return None, 'mmext._ext was built from older sources that do not define the operator mmext::sdc'
    _register_op()
    return _ext, ''


# torch.compile reads the answer instead of tracing the import (it would re-run the op registration).
@torch.compiler.assume_constant_result
def available_impls() -> Tuple[str, ...]:
    """Implementations usable in this installation, e.g. ``('reference', 'cpu')``."""
    ext = _load_ext()[0]
    if ext is None:
        return ('reference', )
    return ('reference', 'cpu', 'cuda') if ext.with_cuda() else ('reference', 'cpu')


@functools.lru_cache(maxsize=None)
def _warn_fallback(reason: str) -> None:
    # lru_cache makes this warn once per reason and process.
    warnings.warn(f'semantic_difference_conv2d: {reason}; using the pure-PyTorch reference implementation, '
                  'which is slower and needs about 8x the activation memory.')


def _resolve_impl(impl: str, device: torch.device) -> str:
    """Maps ``impl`` to 'reference', 'cpu' or 'cuda' for tensors on ``device``."""
    if impl not in IMPLS:
        raise ValueError(f'impl must be one of {IMPLS}, got {impl!r}')
    # Meta tensors (shape inference, FLOP counting) take the reference, whose torch ops support them.
    if impl == 'reference' or (impl == 'auto' and device.type == 'meta'):
        return 'reference'

    available = available_impls()
    if impl == 'auto':
        if device.type in available:
            return device.type
        if len(available) == 1:
            _warn_fallback(f'the compiled extension mmext._ext is not available ({_load_ext()[1]}); '
                           'build it with `pip install -e . --no-build-isolation`')
        else:
            _warn_fallback(f'mmext._ext has no kernel for {device.type} tensors '
                           '(rebuild with FORCE_CUDA=1 for CUDA)')
        return 'reference'
    if impl not in available:
        why = ('the extension mmext._ext is not built' if len(available) == 1 else
               'mmext._ext was built without CUDA (rebuild with FORCE_CUDA=1)')
        raise RuntimeError(f"impl={impl!r} is not available: {why}. Use impl='auto' or impl='reference'.")
    if device.type != impl:
        raise ValueError(f"impl={impl!r} needs {impl} tensors, got tensors on {device}; use impl='auto'.")
    return impl


def _as_index(value) -> Optional[int]:
    """``operator.index(value)`` (ints, numpy integers, integer 0-dim tensors), or None for anything else and bool."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def _positive_dilation(dilation) -> int:
    index = _as_index(dilation)
    if index is None or index < 1:
        raise ValueError(f'dilation must be a positive integer, got {dilation!r}')
    return index


def _values_readable(t: torch.Tensor) -> bool:
    """Whether the value of ``t`` can be read back: not while tracing, scripting or compiling, not on meta."""
    return not (t.device.type == 'meta' or torch.jit.is_tracing() or torch.jit.is_scripting()
                or torch.compiler.is_compiling() or (t.is_cuda and torch.cuda.is_current_stream_capturing()))


def _check_lam(lam: Lam) -> None:
    """lam must be one finite value > 0: a number, or a one-element floating-point tensor.

    A tensor's value is read back to check it (one device synchronisation on a GPU); this is skipped where values
    cannot be read (tracing, compiling, CUDA graph capture, meta tensors).
    """
    if isinstance(lam, torch.Tensor):
        if lam.numel() != 1:
            raise ValueError(f'lam must be a number or a one-element tensor, got shape {tuple(lam.shape)}')
        if not lam.is_floating_point():
            raise TypeError(f'lam must be a floating-point tensor, got dtype {lam.dtype}')
        if not _values_readable(lam):
            return
        value = lam.detach().item()
    else:
        try:
            value = float(lam)
        except (TypeError, ValueError):
            value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f'lam must be a finite number > 0, got {lam!r}')


def _check_options(dilation: int, gate_fn: str, guidance: str, padding_mode: str, impl: str, lam: Lam) -> None:
    _positive_dilation(dilation)
    if gate_fn not in GATE_FNS:
        raise ValueError(f'gate_fn must be one of {GATE_FNS}, got {gate_fn!r}')
    if guidance not in GUIDANCE_MODES:
        raise ValueError(f"guidance must be one of {GUIDANCE_MODES} (a gate shared by all channels is 'shared'), "
                         f'got {guidance!r}')
    if padding_mode not in PADDING_MODES:
        raise ValueError(f'padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}')
    if impl not in IMPLS:
        raise ValueError(f'impl must be one of {IMPLS}, got {impl!r}')
    _check_lam(lam)


def _check_groups(groups, in_channels: int, out_channels: int, names: Tuple[str, str]) -> int:
    index = _as_index(groups)
    if index is None or index < 1 or in_channels % index or out_channels % index:
        raise ValueError(f'groups={groups!r} must be a positive integer dividing {names[0]}={in_channels} and '
                         f'{names[1]}={out_channels}')
    return index


def _check_tensors(u: torch.Tensor, v: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor],
                   groups: int, guidance: str) -> None:
    for name, t in (('u', u), ('v', v), ('weight', weight), ('bias', bias)):
        if t is not None and not t.is_floating_point():
            raise TypeError(f'{name} must be a floating-point tensor, got dtype {t.dtype}; convert it with .float()')
    if u.dim() != 4 or v.dim() != 4:
        raise ValueError(f'u and v must be 4-D [B, C, H, W] tensors, got shapes {tuple(u.shape)} and '
                         f'{tuple(v.shape)}')
    if v.shape[0] != u.shape[0]:
        raise ValueError(f'u and v must have the same batch size, got {u.shape[0]} and {v.shape[0]}')
    c_in = u.shape[1]
    groups = _check_groups(groups, c_in, weight.shape[0], ('C_in', 'C_out'))
    if weight.dim() != 4 or tuple(weight.shape[1:]) != (c_in // groups, 3, 3):
        raise ValueError(f'weight must have shape (C_out, C_in/groups, 3, 3) = (C_out, {c_in // groups}, 3, 3), '
                         f'got {tuple(weight.shape)}')
    if guidance == 'per_channel' and v.shape[1] != c_in:
        raise ValueError(f"guidance='per_channel' needs v with C_in={c_in} channels, got {v.shape[1]}; project v "
                         "with a 1x1 conv or use guidance='shared'")
    if bias is not None and tuple(bias.shape) != (weight.shape[0], ):
        raise ValueError(f'bias must have shape (C_out,) = ({weight.shape[0]},), got {tuple(bias.shape)}')


def _gate(q: torch.Tensor, lam: Lam, gate_fn: str) -> torch.Tensor:
    """Gate ``f(q / lam^2)`` of squared guidance differences ``q`` (any shape)."""
    z = q / lam**2
    if gate_fn == 'charbonnier':
        return torch.rsqrt(1 + z)
    if gate_fn == 'pm_rational':
        return 1 / (1 + z)
    if gate_fn == 'pm_exp':
        return torch.exp(-z)
    return torch.exp(-0.5 * z)


def _centred_differences(x: torch.Tensor, dilation: int, padding_mode: str) -> torch.Tensor:
    """``x[:, :, p + delta_k] - x[:, :, p]`` for the 8 non-centre taps: [B, C, H, W] -> [B, C, 8, H, W]."""
    height, width = x.shape[-2:]
    d = dilation
    # An empty x has empty differences whatever the padding; F.pad's replicate mode rejects empty dims.
    padded = F.pad(x, (d, d, d, d), mode='replicate' if padding_mode == 'replicate' and x.numel() else 'constant')
    rows_cols = [divmod(k, 3) for k in NON_CENTRE_TAPS]
    shifted = [padded[..., i * d:i * d + height, j * d:j * d + width] for i, j in rows_cols]
    return torch.stack(shifted, dim=2) - x.unsqueeze(2)


def sdc_reference(u: torch.Tensor,
                  v: torch.Tensor,
                  weight: torch.Tensor,
                  *,
                  lam: Lam = 1.0,
                  dilation: int = 1,
                  groups: int = 1,
                  gate_fn: str = 'charbonnier',
                  guidance: str = 'per_channel',
                  invert_gate: bool = False,
                  padding_mode: str = 'zeros') -> torch.Tensor:
    """Pure-PyTorch SDC (no bias, no resizing, no argument checks; see :func:`semantic_difference_conv2d`).

    Materialises the differences of the 8 non-centre taps as [B, C, 8, H, W] tensors, so it needs about 8x the
    activation memory of the compiled op; the gate is evaluated in at least fp32.

    Args:
        u (Tensor): [B, C_in, H, W].
        v (Tensor): [B, C_v, H, W] (C_v == C_in for per-channel gates).
        weight (Tensor): [C_out, C_in / groups, 3, 3].
        lam (float | Tensor): contrast lambda > 0 (a one-element tensor for a learnable lambda).
        dilation, groups, gate_fn, guidance, invert_gate, padding_mode: as in :func:`semantic_difference_conv2d`.

    Returns:
        Tensor: [B, C_out, H, W].
    """
    batch, c_in, height, width = u.shape
    c_out = weight.shape[0]
    du = _centred_differences(u, dilation, padding_mode)  # [B, C_in, 8, H, W]
    dv = _centred_differences(v, dilation, padding_mode)  # [B, C_v, 8, H, W]
    # (dV / lam)^2 overflows fp16 once |dV| / lam > 256.
    dv = dv.to(torch.promote_types(dv.dtype, torch.float32))
    sq = dv.square()
    if guidance == 'shared':
        sq = sq.sum(dim=1, keepdim=True)
    gate = _gate(sq, lam, gate_fn)  # [B, C_in | 1, 8, H, W]
    if invert_gate:
        gate = 1 - gate
    x = (gate * du).to(u.dtype).view(batch, groups, c_in // groups, 8, height, width)
    w = weight.reshape(c_out, c_in // groups, 9)[..., NON_CENTRE_TAPS].view(groups, c_out // groups, c_in // groups, 8)
    return torch.einsum('bgckhw,gock->bgohw', x, w).reshape(batch, c_out, height, width)


def _sdc_fake(u: torch.Tensor, v: torch.Tensor, weight: torch.Tensor, lam: torch.Tensor, dilation: int = 1,
              groups: int = 1, *options) -> torch.Tensor:
    """Shape inference of ``mmext::sdc`` (the options after ``groups`` do not change the shape; the dispatcher drops
    trailing arguments equal to the schema's defaults, hence the defaults here): [B, C_out, H, W], contiguous, in u's
    dtype, as the kernels return it."""
    torch._check(u.dim() == 4 and v.dim() == 4 and weight.dim() == 4,
                 lambda: f'sdc: u, v and weight must be 4-D, got {u.dim()}, {v.dim()} and {weight.dim()} dims')
    torch._check(v.shape[0] == u.shape[0] and v.shape[2:] == u.shape[2:],
                 lambda: f'sdc: v {tuple(v.shape)} must match u {tuple(u.shape)} in B, H and W (resize it first)')
    torch._check(weight.shape[1] * groups == u.shape[1],
                 lambda: f'sdc: weight {tuple(weight.shape)} needs C_in / groups = {u.shape[1]} / {groups} inputs')
    return u.new_empty(u.shape[0], weight.shape[0], u.shape[2], u.shape[3])


def _sdc_backward_fake(grad_out: torch.Tensor, u: torch.Tensor, v: torch.Tensor, weight: torch.Tensor,
                       lam: torch.Tensor, *options) -> Tuple[torch.Tensor, ...]:
    """Shape inference of ``mmext::sdc_backward``: contiguous gradients of (u, v, weight, lam)."""
    return tuple(t.new_empty(t.shape) for t in (u, v, weight, lam))


def _sdc_setup_context(ctx, inputs, output) -> None:
    ctx.save_for_backward(*inputs[:4])
    ctx.options = inputs[4:]


def _sdc_backward(ctx, grad_out: torch.Tensor):
    grads = torch.ops.mmext.sdc_backward(grad_out, *ctx.saved_tensors, *ctx.options)
    grads = [g if needed else None for g, needed in zip(grads, ctx.needs_input_grad)]
    return (*grads, None, None, None, None, None, None)


def _register_op() -> None:
    """Registers the Python parts of the operator ``mmext::sdc`` (defined with its kernels in ``mmext._ext``).

    * fake implementations of ``mmext::sdc`` and ``mmext::sdc_backward`` (shape inference for torch.compile,
      torch.export and meta tensors);
    * the autograd formula of ``mmext::sdc``: its gradients (u, v, weight, lam) come from ``mmext::sdc_backward``;
      a second derivative is not implemented;
    * the autocast policy: in a CPU or CUDA autocast region the op casts u, v, weight and lam to float32
      (float64 tensors stay) and runs in float32 with autocast off, so it returns float32 whatever the autocast
      dtype. The squared guidance differences ``(dV / lam)^2`` overflow fp16 once ``|dV| / lam > 256``; the
      weighted sum is a small share of a network's cost.
    """
    torch.library.register_fake('mmext::sdc', _sdc_fake)
    torch.library.register_fake('mmext::sdc_backward', _sdc_backward_fake)
    torch.library.register_autograd('mmext::sdc', _sdc_backward, setup_context=_sdc_setup_context)
    for device_type in ('cpu', 'cuda'):
        torch.library.register_autocast('mmext::sdc', device_type, torch.float32)


# The operator is complete as soon as mmext.ops is imported (torch.ops.mmext.sdc can be called directly).
_load_ext()


_trace_as_one_op = False


@contextlib.contextmanager
def sdc_traced_as_one_op():
    """Within this context, a traced SDC call (``torch.jit.trace``) is recorded as one graph node.

    The compiled op always traces as one node, ``mmext::sdc``; within this context the reference's torch ops are
    recorded as one ``prim::PythonOp.SemanticDifferenceConv2dOp`` node too.
    Both take (u, v, weight, ...) as inputs and the values are unchanged. FLOP counters thus see one op per call
    whichever implementation runs (:func:`mmext.utils.flop_analyzer`, which ``tools/analysis_tools/get_flops.py``
    uses, enters this context). Outside it, the reference traces as plain torch ops, so it stays exportable (ONNX,
    TorchScript).
    """
    global _trace_as_one_op
    previous, _trace_as_one_op = _trace_as_one_op, True
    try:
        yield
    finally:
        _trace_as_one_op = previous


class SemanticDifferenceConv2dOp(torch.autograd.Function):
    """Forward-only wrapper that makes a traced reference SDC call one graph node (see :func:`sdc_traced_as_one_op`).

    The tracer drops the wrapped torch ops from the graph (they have no side effects and their results are unused);
    the compiled op is not wrapped, as a Python op it would stay in the graph and be counted twice.
    """

    @staticmethod
    def forward(ctx, u: torch.Tensor, v: torch.Tensor, weight: torch.Tensor, compute) -> torch.Tensor:
        return compute(u, v, weight)


def _run_impl(u: torch.Tensor, v: torch.Tensor, weight: torch.Tensor, *, impl: str, lam: Lam, dilation: int,
              groups: int, gate_fn: str, guidance: str, invert_gate: bool, padding_mode: str) -> torch.Tensor:
    """The SDC by the resolved implementation ('reference', 'cpu' or 'cuda') on checked, same-dtype tensors."""
    if impl == 'reference':
        return sdc_reference(u, v, weight, lam=lam, dilation=dilation, groups=groups, gate_fn=gate_fn,
                             guidance=guidance, invert_gate=invert_gate, padding_mode=padding_mode)
    return torch.ops.mmext.sdc(u, v, weight, _lam_tensor(lam, u.device), dilation, groups, gate_fn, guidance,
                               invert_gate, padding_mode)


def _lam_tensor(lam: Lam, device: torch.device) -> torch.Tensor:
    """lam as the 0-dim float64 (numbers, float64 tensors) or float32 (other tensors) tensor the kernels read."""
    if not isinstance(lam, torch.Tensor):
        return torch.tensor(float(lam), dtype=torch.float64, device=device)
    dtype = torch.float64 if lam.dtype == torch.float64 else torch.float32
    return lam.to(device=device, dtype=dtype).reshape(())


def semantic_difference_conv2d(u: torch.Tensor,
                               v: torch.Tensor,
                               weight: torch.Tensor,
                               *,
                               lam: Lam = 1.0,
                               bias: Optional[torch.Tensor] = None,
                               dilation: int = 1,
                               groups: int = 1,
                               gate_fn: str = 'charbonnier',
                               guidance: str = 'per_channel',
                               invert_gate: bool = False,
                               padding_mode: str = 'zeros',
                               align_corners: bool = False,
                               impl: str = 'auto') -> torch.Tensor:
    """Semantic difference convolution of ``u`` gated by ``v``.

    Defaults marked *unverified* are design choices that the paper does not confirm (docs/sdn.md). Every argument
    after the three tensors is keyword-only.

    Args:
        u (Tensor): feature map U, [B, C_in, H, W], floating point (integer tensors raise a TypeError). Empty
            tensors (any of B, C_in, H, W or C_out zero) give zeros and zero gradients.
        v (Tensor): guidance V, [B, C_v, h, w]; resized bilinearly to H x W when the sizes differ. Per-channel
            gates need C_v == C_in.
        weight (Tensor): [C_out, C_in / groups, 3, 3]. The centre tap multiplies a zero difference, so it
            never affects the output and its gradient is zero.
        lam (float | Tensor): contrast lambda, finite and > 0 (unverified default 1.0). A one-element tensor that
            requires grad receives a gradient (see ``learnable_lam`` of :class:`SemanticDifferenceConv2d`); its
            value is read back to check the range (one device synchronisation on a GPU, skipped while tracing or
            compiling). The kernels get lam in float64 (a number or a float64 tensor) or float32, never in the
            precision of fp16/bf16 inputs.
        bias (Tensor, optional): [C_out], added to the output.
        dilation (int): spacing of the 3x3 taps; the padding equals the dilation (unverified, default 1). Any
            integral value (``operator.index``) >= 1; bool is rejected.
        groups (int): channel groups as in ``nn.Conv2d`` (unverified, default 1).
        gate_fn (str): one of ``GATE_FNS``; 'charbonnier' (default) as in the only public re-implementation.
        guidance (str): 'per_channel' (one gate per channel, default) or 'shared' (one gate per pixel and tap
            from the channel-summed squared differences, also called a scalar gate).
        invert_gate (bool): use ``1 - S`` (ablation flag, unverified).
        padding_mode (str): 'zeros' (default) or 'replicate' (unverified); out-of-image neighbours of U and V
            read this padding.
        align_corners (bool): of the bilinear resize of V (unverified, default False).
        impl (str): 'auto' (compiled kernel for the tensors' device when built, else the reference with a
            warning), 'reference', 'cpu' or 'cuda' (errors if unavailable).

    Returns:
        Tensor: Y, [B, C_out, H, W].

    Autocast policy (CPU or CUDA autocast, fp16 or bf16): the bilinear resize of V runs in V's dtype (autocast
    leaves ``upsample_bilinear2d`` alone); then U, V and the weight are cast to float32 (float64 stays) and the
    differences, the gate and the weighted sum run in float32 with autocast off, whichever implementation runs
    (the compiled op ``mmext::sdc`` has this rule registered, so direct calls of it follow it too). Y and the bias
    add are float32; gradients reach fp16/bf16 inputs in their own dtype. Reason: ``(dV / lam)^2`` overflows fp16
    once ``|dV| / lam > 256``. Outside autocast the op keeps the inputs' promoted dtype (the CPU kernel computes
    fp16/bf16 in float32 and rounds back; the CUDA kernel runs them natively with float32 gates and sums).
    """
    _check_options(dilation, gate_fn, guidance, padding_mode, impl, lam)
    _check_tensors(u, v, weight, bias, groups, guidance)
    dilation, groups = operator.index(dilation), operator.index(groups)
    if v.shape[-2:] != u.shape[-2:]:
        v = F.interpolate(v, size=u.shape[-2:], mode='bilinear', align_corners=align_corners)
    impl = _resolve_impl(impl, u.device)
    # Both implementations take one dtype: the promoted one of the inputs (casts are no-ops when they agree).
    dtype = torch.promote_types(torch.promote_types(u.dtype, v.dtype), weight.dtype)
    autocast = u.device.type in ('cpu', 'cuda') and torch.is_autocast_enabled(u.device.type)
    if autocast:  # the autocast policy of the op (docstring), for the reference too
        dtype = torch.promote_types(dtype, torch.float32)
    u, v, weight = u.to(dtype), v.to(dtype), weight.to(dtype)
    compute = functools.partial(_run_impl, impl=impl, lam=lam, dilation=dilation, groups=groups, gate_fn=gate_fn,
                                guidance=guidance, invert_gate=invert_gate, padding_mode=padding_mode)
    with torch.autocast(u.device.type, enabled=False) if autocast else contextlib.nullcontext():
        if impl == 'reference' and _trace_as_one_op and torch.jit.is_tracing():
            out = SemanticDifferenceConv2dOp.apply(u, v, weight, compute)
        else:
            out = compute(u, v, weight)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1).to(out.dtype)
    return out


sdc = semantic_difference_conv2d  # short alias


@MODELS.register_module(name='SemanticDiffConv2d')
class SemanticDifferenceConv2d(nn.Module):
    """Semantic difference convolution layer (registered as ``SemanticDiffConv2d`` in MMEngine's root MODELS).

    Arguments after ``kernel_size`` are keyword-only.

    Args:
        in_channels (int): C_in, channels of the input U.
        out_channels (int): C_out.
        kernel_size (int): only 3 is supported (the SDC window is 3x3).
        dilation (int): tap spacing, padding = dilation; integral values >= 1, not bool. Default 1 (unverified).
        groups (int): channel groups (``groups=in_channels`` gives a depthwise SDC). Default 1 (unverified).
        bias (bool): add a learnable bias (the public re-implementation has none). Default False.
        lam (float): initial contrast lambda > 0. Default 1.0 (unverified).
        learnable_lam (bool): learn lambda, parameterised as ``softplus(raw_lam)`` so it stays positive.
            Default False (unverified).
        gate_fn (str): one of ``GATE_FNS``. Default 'charbonnier'.
        guidance (str): 'per_channel' (needs C_v == C_in) or 'shared'. Default 'per_channel'.
        invert_gate (bool): use ``1 - S``. Default False (unverified ablation flag).
        padding_mode (str): 'zeros' or 'replicate'. Default 'zeros'.
        align_corners (bool): of the bilinear resize of V when its size differs from U's. Default False
            (unverified).
        weight_init (str): 'uniform' (U(-0.1, 0.1), as in the public re-implementation, default) or 'kaiming'
            (``nn.Conv2d``'s kaiming_uniform with a=sqrt(5)); unverified.
        impl (str): implementation choice, see :func:`semantic_difference_conv2d`. Default 'auto'.

    Shapes:
        forward(u [B, C_in, H, W], v [B, C_v, h, w]) -> [B, C_out, H, W]
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 *,
                 dilation: int = 1,
                 groups: int = 1,
                 bias: bool = False,
                 lam: float = 1.0,
                 learnable_lam: bool = False,
                 gate_fn: str = 'charbonnier',
                 guidance: str = 'per_channel',
                 invert_gate: bool = False,
                 padding_mode: str = 'zeros',
                 align_corners: bool = False,
                 weight_init: str = 'uniform',
                 impl: str = 'auto'):
        super().__init__()
        if kernel_size != 3:
            raise ValueError(f'kernel_size must be 3 (the SDC window is 3x3), got {kernel_size!r}')
        groups = _check_groups(groups, in_channels, out_channels, ('in_channels', 'out_channels'))
        if weight_init not in ('uniform', 'kaiming'):
            raise ValueError(f"weight_init must be 'uniform' or 'kaiming', got {weight_init!r}")
        _check_options(dilation, gate_fn, guidance, padding_mode, impl, lam)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.dilation = operator.index(dilation)
        self.groups = groups
        self.gate_fn = gate_fn
        self.guidance = guidance
        self.invert_gate = invert_gate
        self.padding_mode = padding_mode
        self.align_corners = align_corners
        self.weight_init = weight_init
        self.impl = impl
        self.init_lam = lam
        self.learnable_lam = learnable_lam
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, 3, 3))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.raw_lam = nn.Parameter(torch.empty(())) if learnable_lam else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight_init == 'uniform':
            nn.init.uniform_(self.weight, -0.1, 0.1)
        else:
            nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        if self.raw_lam is not None:
            # Inverse softplus, written so that it does not overflow for large lam.
            nn.init.constant_(self.raw_lam, self.init_lam + math.log(-math.expm1(-self.init_lam)))

    @property
    def lam(self) -> Lam:
        """Current lambda: a float, or a 0-dim tensor in the autograd graph when learnable."""
        return F.softplus(self.raw_lam) if self.raw_lam is not None else self.init_lam

    def forward(self, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Args: u [B, C_in, H, W], v [B, C_v, h, w]. Returns: [B, C_out, H, W]."""
        return semantic_difference_conv2d(
            u,
            v,
            self.weight,
            lam=self.lam,
            bias=self.bias,
            dilation=self.dilation,
            groups=self.groups,
            gate_fn=self.gate_fn,
            guidance=self.guidance,
            invert_gate=self.invert_gate,
            padding_mode=self.padding_mode,
            align_corners=self.align_corners,
            impl=self.impl)

    def extra_repr(self) -> str:
        return (f'{self.in_channels}, {self.out_channels}, kernel_size=3, dilation={self.dilation}, '
                f'groups={self.groups}, bias={self.bias is not None}, lam={self.init_lam}, '
                f'learnable_lam={self.learnable_lam}, gate_fn={self.gate_fn!r}, guidance={self.guidance!r}, '
                f'invert_gate={self.invert_gate}, padding_mode={self.padding_mode!r}, impl={self.impl!r}')
