"""Semantic Diffusion Network (SDN) neck for mmseg segmentors.

Tan, Wu, Pi, "Semantic Diffusion Network for Semantic Segmentation", NeurIPS 2022 (arXiv 2302.02057). No official
code exists; this module follows mmext's design note ``docs/sdn.md`` (§3–§4), which marks which details come from the
paper and which are design choices exposed as arguments.

One SDN block refines a feature map U with a semantic difference convolution (SDC, :mod:`mmext.ops.sdc`) whose
edge-stopping gate is computed on a guidance map V, then fuses it back:
``Z = Conv1x1(concat[U, act(norm(SDC(U, V)))])``. The neck applies one block per selected level and returns maps
of the shapes it received, so the decode and auxiliary heads are unchanged.

Shape shorthand: B = batch, C_i = channels of level i, H_i x W_i = its spatial size, L = number of levels,
C_r = channels the SDC works at (``reduce_channels`` or C_i), C_v = guidance channels.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_activation_layer, build_norm_layer
from mmengine.model import BaseModule, ModuleDict
from mmseg.registry import MODELS

from mmext.utils.validation import check_choice

_MODES = ('multi_scale', 'single_scale')
_GUIDANCE_PROJ = ('conv1x1', 'none')
_FUSE_INIT = ('default', 'identity')
_GUIDANCE_CONV_DEFAULTS = dict(kernel_size=3, stride=2, norm=True, act=True)


class SDNBlock(BaseModule):
    """One SDN block: optional channel reduction, guidance, SDC + norm + act, and the concat-1x1 fusion.

    Args:
        in_channels (int): C_i, channels of the refined map U.
        guidance_channels (int, optional): C_v of an external guidance map (the next deeper level). None makes the
            block guide itself with a strided conv of (the reduced) U, as for the deepest or a single-scale level.
        reduce_channels (int, optional): If set, U is reduced to this many channels by a 1x1 conv (+ norm + act)
            before the SDC, and the guidance is produced at this width; the fusion still outputs C_i channels.
        sdc_cfg (dict): Config of the SDC module, built from the MMEngine registry with ``in_channels`` and
            ``out_channels`` set to C_r; e.g. ``dict(type='SemanticDiffConv2d', gate_fn='pm_exp', groups=C_r)``.
        guidance_proj (str): For external guidance, ``'conv1x1'`` projects V (C_v -> C_r, no norm/act) at V's own
            resolution; ``'none'`` feeds V as is, valid when C_v == C_r or the SDC's gate is shared over channels.
        guidance_conv_cfg (dict): Self-guidance conv, keys ``kernel_size``, ``stride``, ``norm``, ``act``.
        fuse_init (str): ``'identity'`` initialises the fusion 1x1 so that the block outputs U exactly (U half =
            identity, SDC half = 0, bias = 0); ``'default'`` keeps PyTorch's initialisation.
        norm_cfg (dict): Norm layer after the SDC, the reduction and the guidance conv.
        act_cfg (dict): Activation after the SDC, the reduction and the guidance conv.
        align_corners (bool): Of the bilinear resize of V to U's size.
        init_cfg (dict | list[dict], optional): MMEngine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 guidance_channels: Optional[int],
                 reduce_channels: Optional[int],
                 sdc_cfg: Dict,
                 guidance_proj: str,
                 guidance_conv_cfg: Dict,
                 fuse_init: str,
                 norm_cfg: Dict,
                 act_cfg: Dict,
                 align_corners: bool = False,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        width = reduce_channels or in_channels
        self.fuse_init = fuse_init
        self.align_corners = align_corners
        self.self_guided = guidance_channels is None
        self.reduce = ConvModule(
            in_channels, width, 1, norm_cfg=norm_cfg, act_cfg=act_cfg) if reduce_channels else None
        self.sdc = MODELS.build(dict(sdc_cfg, in_channels=width, out_channels=width))
        if self.self_guided:
            self.guidance = ConvModule(
                width,
                width,
                guidance_conv_cfg['kernel_size'],
                stride=guidance_conv_cfg['stride'],
                padding=guidance_conv_cfg['kernel_size'] // 2,
                norm_cfg=norm_cfg if guidance_conv_cfg['norm'] else None,
                act_cfg=act_cfg if guidance_conv_cfg['act'] else None)
        elif guidance_proj == 'conv1x1':
            self.guidance = nn.Conv2d(guidance_channels, width, 1)
        else:
            if guidance_channels != width and _gate_is_per_channel(self.sdc):
                raise ValueError(
                    f"guidance_proj='none' needs guidance channels == SDC channels for a per-channel gate, got "
                    f"{guidance_channels} != {width}; use guidance_proj='conv1x1' or sdc_cfg=dict(guidance='shared').")
            self.guidance = None
        self.norm = build_norm_layer(norm_cfg, width)[1]
        self.act = build_activation_layer(act_cfg)
        self.fuse = nn.Conv2d(in_channels + width, in_channels, 1, bias=True)
        self._init_fuse()

    def _init_fuse(self) -> None:
        if self.fuse_init != 'identity':
            return
        in_channels = self.fuse.out_channels
        with torch.no_grad():
            self.fuse.weight.zero_()
            self.fuse.weight[:, :in_channels, 0, 0].copy_(torch.eye(in_channels))
            self.fuse.bias.zero_()

    def init_weights(self) -> None:
        """Run MMEngine's initialisation, then re-apply the identity fusion (children re-initialise their convs)."""
        super().init_weights()
        self._init_fuse()

    def forward(self, u: torch.Tensor, v: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Refine U guided by V.

        Args:
            u (Tensor): Feature map, shape (B, C_i, H, W).
            v (Tensor, optional): External guidance, shape (B, C_v, h, w), any h x w (resized bilinearly). Must be
                None for a self-guided block and given otherwise.

        Returns:
            Tensor: Refined map, shape (B, C_i, H, W).
        """
        if (v is None) != self.self_guided:
            raise ValueError('this SDNBlock was built ' + ('self-guided (guidance_channels=None): call it without v'
                                                           if self.self_guided else
                                                           'for external guidance: pass the guidance map v'))
        u_r = self.reduce(u) if self.reduce is not None else u
        if v is None:
            v = self.guidance(u_r)
        elif self.guidance is not None:
            # Project at the coarse resolution: 1x1 conv and bilinear resize commute, and this is cheaper.
            v = self.guidance(v)
        if v.shape[2:] != u_r.shape[2:]:
            v = F.interpolate(v, size=u_r.shape[2:], mode='bilinear', align_corners=self.align_corners)
        y = self.act(self.norm(self.sdc(u_r, v)))
        return self.fuse(torch.cat([u, y], dim=1))


def _gate_is_per_channel(sdc: nn.Module) -> bool:
    # A custom SDC type without the attribute is assumed to need matching widths, the stricter case.
    return getattr(sdc, 'guidance', 'per_channel') == 'per_channel'


@MODELS.register_module()
class SDNNeck(BaseModule):
    """SDN neck: per-level semantic diffusion between an unchanged backbone and an unchanged decode head.

    ``mode='multi_scale'``: level i is guided by level i + 1 (``F_i' = SDN_i(F_i, up(F_{i+1}))``, using the
    *input* F_{i+1}); the deepest level is guided by a stride-2 conv of itself. ``mode='single_scale'``: every
    selected level is guided by a stride-2 conv of itself. Levels not in ``levels`` pass through unchanged.

    Example (UperNet + Swin-T; heads keep ``in_channels=[96, 192, 384, 768]``)::

        neck=dict(type='SDNNeck', in_channels=[96, 192, 384, 768], mode='multi_scale')

    Args:
        in_channels (Sequence[int]): Channels of every input level, [C_0, ..., C_{L-1}].
        mode (str): ``'multi_scale'`` or ``'single_scale'``.
        levels (Sequence[int], optional): Indices of the levels that get an SDN block; None = all levels.
        sdc_cfg (dict, optional): Options of ``SemanticDiffConv2d`` (:mod:`mmext.ops.sdc`): ``gate_fn``
            (charbonnier, pm_rational, pm_exp, gaussian), ``guidance`` ('per_channel' or 'shared'), ``lam``,
            ``learnable_lam``, ``dilation``, ``groups`` (e.g. the SDC width for a depthwise SDC), ``padding_mode``,
            ...; ``type`` defaults to ``'SemanticDiffConv2d'``. ``in_channels``/``out_channels`` are set per level.
        guidance_proj (str): ``'conv1x1'`` or ``'none'``; see :class:`SDNBlock`.
        guidance_conv_cfg (dict, optional): Self-guidance conv options, any of ``kernel_size`` (3), ``stride`` (2),
            ``norm`` (True), ``act`` (True).
        reduce_channels (int | Sequence[int | None], optional): SDC width per level, or one value for all levels.
            A level is reduced only where C_i is larger than the value (a 1x1 conv + norm + act); the self-guidance
            conv then works at the reduced width too. None keeps full width (cost grows with C_i², see docs/sdn.md §5).
        fuse_init (str): ``'identity'`` makes the neck an exact identity at initialisation, so it can be inserted
            into a pretrained segmentor without changing its output; ``'default'`` uses PyTorch's init.
        norm_cfg (dict): Norm config; SyncBN by default as in mmseg, use ``dict(type='BN')`` on one device/CPU.
        act_cfg (dict): Activation config.
        align_corners (bool): Of the bilinear guidance resize.
        init_cfg (dict | list[dict], optional): MMEngine initialisation config. A ``Pretrained`` entry is applied
            last and overrides the identity fusion; other entries are applied first and the identity fusion (if
            requested) is applied on top of them.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 mode: str = 'multi_scale',
                 levels: Optional[Sequence[int]] = None,
                 sdc_cfg: Optional[Dict] = None,
                 guidance_proj: str = 'conv1x1',
                 guidance_conv_cfg: Optional[Dict] = None,
                 reduce_channels: Optional[Union[int, Sequence[Optional[int]]]] = None,
                 fuse_init: str = 'default',
                 norm_cfg: Dict = dict(type='SyncBN', requires_grad=True),
                 act_cfg: Dict = dict(type='ReLU'),
                 align_corners: bool = False,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(in_channels, int) or len(in_channels) == 0:
            raise ValueError(f'in_channels must be a non-empty list of per-level channels, got {in_channels}.')
        num_levels = len(in_channels)
        check_choice('mode', mode, _MODES)
        check_choice('guidance_proj', guidance_proj, _GUIDANCE_PROJ)
        check_choice('fuse_init', fuse_init, _FUSE_INIT)
        levels = list(range(num_levels)) if levels is None else sorted(set(levels))
        if not levels or any(not 0 <= i < num_levels for i in levels):
            raise ValueError(f'levels must be a non-empty subset of 0..{num_levels - 1} for {num_levels} input '
                             f'levels, got {levels}.')
        guidance_conv_cfg = dict(_GUIDANCE_CONV_DEFAULTS, **(guidance_conv_cfg or {}))
        unknown = set(guidance_conv_cfg) - set(_GUIDANCE_CONV_DEFAULTS)
        if unknown:
            raise ValueError(f'guidance_conv_cfg has unknown keys {sorted(unknown)}; allowed: '
                             f'{sorted(_GUIDANCE_CONV_DEFAULTS)}.')
        widths = _per_level_widths(reduce_channels, in_channels)
        sdc_cfg = dict(dict(type='SemanticDiffConv2d'), **(sdc_cfg or {}))

        self.in_channels = list(in_channels)
        self.mode = mode
        self.levels = levels
        self.blocks = ModuleDict()
        for i in levels:
            externally_guided = mode == 'multi_scale' and i < num_levels - 1
            self.blocks[str(i)] = SDNBlock(
                in_channels[i],
                guidance_channels=in_channels[i + 1] if externally_guided else None,
                reduce_channels=widths[i],
                sdc_cfg=sdc_cfg,
                guidance_proj=guidance_proj,
                guidance_conv_cfg=guidance_conv_cfg,
                fuse_init=fuse_init,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg,
                align_corners=align_corners)

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        """Refine the selected levels.

        Args:
            inputs (Sequence[Tensor]): L maps, level i of shape (B, C_i, H_i, W_i).

        Returns:
            tuple[Tensor]: L maps with the input shapes; unselected levels are the input tensors themselves.
        """
        if len(inputs) != len(self.in_channels):
            raise ValueError(f'SDNNeck was built for {len(self.in_channels)} levels (in_channels='
                             f'{self.in_channels}) but received {len(inputs)}; set in_channels to match the '
                             'backbone outputs.')
        outs = list(inputs)
        for key, block in self.blocks.items():
            i = int(key)
            guidance = inputs[i + 1] if self.mode == 'multi_scale' and i < len(inputs) - 1 else None
            outs[i] = block(inputs[i], guidance)
        return tuple(outs)


def _per_level_widths(reduce_channels: Optional[Union[int, Sequence[Optional[int]]]],
                      in_channels: Sequence[int]) -> List[Optional[int]]:
    """Reduced SDC width per level, None where the level keeps its own width."""
    if reduce_channels is None or isinstance(reduce_channels, int):
        reduce_channels = [reduce_channels] * len(in_channels)
    elif len(reduce_channels) != len(in_channels):
        raise ValueError(f'reduce_channels must be an int, None or one entry per level ({len(in_channels)}), got '
                         f'{list(reduce_channels)}.')
    widths = []
    for r, c in zip(reduce_channels, in_channels):
        if r is not None and r < 1:
            raise ValueError(f'reduce_channels entries must be positive, got {r}.')
        widths.append(r if r is not None and r < c else None)
    return widths
