"""BATViT: a plain ViT (DeiT) that decouples and merges tokens at a few layers (BAT, CVPR 2023).

Long et al., "Beyond Attentive Tokens: Incorporating Token Importance and Diversity for Efficient Vision
Transformers", CVPR 2023 (arXiv 2211.11315). The official repository (BWLONG/BeyondAttentiveTokens) contains no
code; this follows the paper's Fig. 3 and the EViT code BAT was built on (youweiliang/evit). The tensor logic lives
in :mod:`mmext.pretrain.models.utils.token_reduction`; this module only threads it through mmpretrain's
:class:`~mmpretrain.models.backbones.VisionTransformer`, keeping its parameter names so DeiT checkpoints load
strictly. ``mode='evit'`` and ``mode='tome'`` run the EViT and ToMe anchors through the same layers.

Shape shorthand: B batch, N tokens with CLS, C channels, H heads, d = C / H.
"""
import numbers
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from mmpretrain.models.backbones.vision_transformer import TransformerEncoderLayer, VisionTransformer
from mmpretrain.models.utils import resize_pos_embed
from mmpretrain.registry import MODELS
from torch import Tensor

from mmext.utils.validation import check_choice, check_type
from ..utils.token_reduction import (CLUSTER_FEATURES, DPC_VARIANTS, HEAD_REDUCTIONS, MATCH_ORDERS, MERGE_WEIGHTS,
                                     REDUCE_MODES, TokenBudget, check_keep_rate, cls_attention, reduce_tokens,
                                     token_budget)

MATCH_METRICS = ('x', 'k')


def _attention_with_qk(attn, x: Tensor, attn_bias: Optional[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
    """mmpretrain ``MultiheadAttention.forward`` that also returns q and k and takes an additive bias.

    Args:
        attn (MultiheadAttention): the stock attention module (its ``qkv``/``proj`` weights are used).
        x (Tensor): normalised tokens, [B, N, C].
        attn_bias (Tensor, optional): additive attention bias, [B, 1, 1, N].

    Returns:
        tuple[Tensor, Tensor, Tensor]: attention output [B, N, C] (before the residual), q and k [B, H, N, d].
    """
    batch, num_tokens, _ = x.shape
    q, k, v = attn.qkv(x).reshape(batch, num_tokens, 3, attn.num_heads, attn.head_dims).permute(2, 0, 3, 1, 4)
    dropout_p = attn.attn_drop if attn.training else 0.
    attn_mask = None if attn_bias is None else attn_bias.to(q.dtype)  # autocast: q may be bf16 / fp16
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=dropout_p)
    out = attn.proj(out.transpose(1, 2).reshape(batch, num_tokens, attn.embed_dims))
    return attn.out_drop(attn.gamma1(attn.proj_drop(out))), q, k


@dataclass(frozen=True)
class TokenReducer:
    """Reduction settings of one layer; calling it reduces the tokens (see :func:`reduce_tokens`).

    A plain object, not a module, so it adds nothing to the state dict. Attributes are the :class:`BATViT`
    arguments of the same names (``num_clusters`` / ``num_pairs`` for this layer only).
    """
    mode: str = 'bat'
    cluster_ratio: float = 0.5
    num_clusters: Optional[int] = None
    num_pairs: Optional[int] = None
    knn_k: int = 5
    dpc_variant: str = 'knn'
    dist_scale: Optional[float] = None
    match_metric: str = 'x'
    match_order: str = 'spatial'
    merge_weight: str = 'attn'
    head_reduce: str = 'mean'
    cluster_on: str = 'ln'

    def budget(self, num_patches: int, keep_rate: float) -> TokenBudget:
        """Token counts for ``num_patches`` patch tokens at ``keep_rate`` (see :func:`token_budget`)."""
        return token_budget(num_patches, keep_rate, self.mode, self.cluster_ratio, self.num_clusters, self.num_pairs)

    def __call__(self, x: Tensor, size: Tensor, q: Tensor, k: Tensor, attn_bias: Optional[Tensor],
                 keep_rate: float) -> Tuple[Tensor, Tensor]:
        """Reduce ``x`` [B, N, C] and ``size`` [B, N] using the layer's q, k [B, H, N, d]."""
        budget = self.budget(x.shape[1] - 1, keep_rate)
        if budget.is_identity:
            return x, size
        needs_attn = self.mode != 'tome' or self.merge_weight == 'attn' or self.match_order == 'attention'
        cls_attn = cls_attention(q[:, :, :1], k, attn_bias, self.head_reduce) if needs_attn else None
        # ToMe's key metric: keys averaged over heads, [B, N, d] (EViT mode matches nothing)
        metric = k.mean(dim=1) if self.match_metric == 'k' and self.mode != 'evit' else None
        return reduce_tokens(x, size, budget, cls_attn, metric, self.mode, self.knn_k, self.dpc_variant,
                             self.dist_scale, self.match_order, self.merge_weight, self.cluster_on)


class BATEncoderLayer(TransformerEncoderLayer):
    """A ``TransformerEncoderLayer`` that can shrink its tokens between the attention residual and the MLP.

    Instances are made by switching the class of the stock layers built by ``VisionTransformer`` (see
    :class:`BATViT`), so the submodules and parameter names stay those of the stock layer. Two plain attributes,
    set by :class:`BATViT`, configure it:

    - ``reducer`` (TokenReducer | None): the layer's reduction; None for a layer that does not reduce.
    - ``prop_attn`` (bool): add ``log(size)`` to the attention logits (ToMe's proportional attention).
    """
    reducer: Optional[TokenReducer] = None
    prop_attn: bool = False

    def forward(self, x: Tensor, size: Tensor, keep_rate: float = 1.0) -> Tuple[Tensor, Tensor]:
        """Attention residual, token reduction, MLP residual.

        Args:
            x (Tensor): tokens with CLS first, [B, N, C].
            size (Tensor): patches per token, [B, N].
            keep_rate (float): rho of this forward pass (the backbone's current ``keep_rate``).

        Returns:
            tuple[Tensor, Tensor]: tokens [B, N', C] and sizes [B, N'], N' <= N.
        """
        if self.reducer is None and not self.prop_attn:
            return super().forward(x), size
        attn_bias = size.log()[:, None, None, :] if self.prop_attn else None
        attn_out, q, k = _attention_with_qk(self.attn, self.ln1(x), attn_bias)
        x = x + attn_out
        if self.reducer is not None:
            x, size = self.reducer(x, size, q, k, attn_bias, keep_rate)
        return self.ffn(self.ln2(x), identity=x), size


@MODELS.register_module()
class BATViT(VisionTransformer):
    """Vision Transformer with BAT token decoupling and merging (or the EViT / ToMe anchors).

    At each layer in ``reduce_layers`` the tokens are reduced between the attention residual and the MLP:
    ``mode='bat'`` splits patch tokens by CLS attention into ``ceil(keep_rate * n)`` attentive and the remaining
    inattentive tokens, merges ``r`` bipartite-matched pairs of attentive tokens and clusters the inattentive ones
    into ``Cn`` tokens by DPC-kNN (weighted means), giving ``1 + K - r + Cn`` tokens (``1 + K`` with the default
    ``Cn = r`` rule: 197 -> 139 -> 98 -> 69 for DeiT-S at rho = 0.7). ``mode='evit'`` keeps the attentive tokens
    and fuses the rest into one (EViT); ``mode='tome'`` only merges bipartite pairs as ToMe's bipartite soft
    matching does (``n - ceil(keep_rate * n)`` of them by default, so the token counts match ``'bat'``; with
    ``match_metric='k', merge_weight='size', prop_attn=True`` it is ToMe). No parameters are added: DeiT /
    mmpretrain ``VisionTransformer`` checkpoints load strictly. Equations and unverified choices: ``docs/bat.md``.

    Each token carries a size (patches it stands for, CLS = 1), summed by every merge; ``avg_featmap`` is the
    size-weighted mean of the patch tokens and ``prop_attn`` adds ``log(size)`` to the attention logits.

    Args:
        reduce_layers (Sequence[int]): 0-based layers that reduce tokens, strictly increasing (per-layer
            ``num_clusters`` / ``num_pairs`` lists follow this order). Default (3, 6, 9) (paper, EViT).
        keep_rate (float): rho in (0, 1]; 1 disables the reduction. A plain attribute that a warmup hook may
            update during training.
        mode (str): 'bat', 'evit' or 'tome'.
        cluster_ratio (float): default rule ``Cn = r = min(floor(cluster_ratio * M), floor(K / 2))``. Unverified
            (fits the official rho = 0.7 log).
        num_clusters (int | Sequence[int], optional): explicit Cn, one value or one per reducing layer ('bat').
            Unverified per-rate values; they need a fixed keep rate.
        num_pairs (int | Sequence[int], optional): explicit r ('bat', 'tome'), like ``num_clusters``.
        knn_k (int): k of the DPC-kNN density. Default 5 (TCFormer). Unverified.
        dpc_variant (str): 'knn', 'all' or 'no_delta' (what BAT's "simplified" DPC is is unverified).
        dist_scale (float, optional): DPC distance scale; None for ``C ** -0.5``. Unverified.
        cluster_on (str): features the DPC clusters: 'ln' (tokens after a parameter-free LayerNorm, as TCFormer
            clusters normalised tokens) or 'raw' (the residual stream). Default 'ln'. Unverified for BAT.
        match_metric (str): bipartite-matching features: 'x' (tokens) or 'k' (keys averaged over heads, ToMe).
            Unverified.
        match_order (str): 'spatial' or 'attention' order of the attentive tokens before the alternating split.
            Unverified.
        merge_weight (str): weights of the merged means: 'attn' (CLS attention), 'size' or 'mean'. Unverified.
        head_reduce (str): 'mean' (EViT) or 'max' over heads for the CLS attention. Unverified.
        prop_attn (bool): proportional attention (ToMe); not described for BAT. Default False.
        **kwargs: arguments of :class:`~mmpretrain.models.backbones.VisionTransformer`. ``out_type`` may be
            'cls_token', 'avg_featmap' or 'raw'; 'featmap' is invalid (merged tokens form no grid).
    """
    OUT_TYPES = {'raw', 'cls_token', 'avg_featmap'}

    def __init__(self,
                 *args,
                 reduce_layers: Sequence[int] = (3, 6, 9),
                 keep_rate: float = 0.7,
                 mode: str = 'bat',
                 cluster_ratio: float = 0.5,
                 num_clusters: Union[int, Sequence[int], None] = None,
                 num_pairs: Union[int, Sequence[int], None] = None,
                 knn_k: int = 5,
                 dpc_variant: str = 'knn',
                 dist_scale: Optional[float] = None,
                 match_metric: str = 'x',
                 match_order: str = 'spatial',
                 merge_weight: str = 'attn',
                 head_reduce: str = 'mean',
                 prop_attn: bool = False,
                 cluster_on: str = 'ln',
                 **kwargs) -> None:
        if kwargs.get('out_type') == 'featmap':
            raise ValueError("out_type='featmap' is invalid for BATViT: merged tokens no longer form an H x W grid. "
                             "Use 'cls_token', 'avg_featmap' or 'raw'.")
        if not kwargs.get('with_cls_token', True):
            raise ValueError('BATViT needs with_cls_token=True: tokens are ranked by their CLS attention.')
        for name, value, choices in (('mode', mode, REDUCE_MODES), ('dpc_variant', dpc_variant, DPC_VARIANTS),
                                     ('match_metric', match_metric, MATCH_METRICS),
                                     ('match_order', match_order, MATCH_ORDERS),
                                     ('merge_weight', merge_weight, MERGE_WEIGHTS),
                                     ('head_reduce', head_reduce, HEAD_REDUCTIONS),
                                     ('cluster_on', cluster_on, CLUSTER_FEATURES)):
            check_choice(name, value, choices)
        check_type('knn_k', knn_k, numbers.Integral, 'an int >= 1')
        check_type('dist_scale', dist_scale, (numbers.Real, type(None)), 'a positive real number or None')
        check_type('prop_attn', prop_attn, bool, 'a bool')
        if knn_k < 1:
            raise ValueError(f'knn_k must be >= 1, got {knn_k}.')
        if dist_scale is not None and not dist_scale > 0:
            raise ValueError(f'dist_scale must be > 0 (or None for C ** -0.5), got {dist_scale}.')
        super().__init__(*args, **kwargs)

        self.reduce_layers = self._check_reduce_layers(reduce_layers)
        self.keep_rate = keep_rate
        clusters = self._per_layer('num_clusters', num_clusters)
        pairs = self._per_layer('num_pairs', num_pairs)
        for i, layer in enumerate(self.layers):
            layer.__class__ = BATEncoderLayer
            layer.prop_attn = prop_attn
            if i in self.reduce_layers:
                j = self.reduce_layers.index(i)
                layer.reducer = TokenReducer(mode, cluster_ratio, clusters[j], pairs[j], knn_k, dpc_variant,
                                             dist_scale, match_metric, match_order, merge_weight, head_reduce,
                                             cluster_on)
            # mmpretrain passes the stochastic-depth rates as numpy scalars; torch.compile breaks the graph at
            # every comparison with one (in mmcv's drop_path), so they are kept as Python floats.
            for module in layer.modules():
                if isinstance(module, DropPath):
                    module.drop_prob = float(module.drop_prob)
        # fail at build time, not in the first forward, on counts that do not fit the configured input size
        self.token_counts()

    @property
    def keep_rate(self) -> float:
        """Current keep rate rho in (0, 1]."""
        return self._keep_rate

    @keep_rate.setter
    def keep_rate(self, value: float) -> None:
        check_keep_rate(value)
        self._keep_rate = float(value)

    def _check_reduce_layers(self, reduce_layers: Sequence[int]) -> Tuple[int, ...]:
        check_type('reduce_layers', reduce_layers, (list, tuple), 'a list or tuple of layer indices')
        for j, i in enumerate(reduce_layers):
            check_type(f'reduce_layers[{j}]', i, numbers.Integral, 'an int')
        layers = tuple(int(i) for i in reduce_layers)
        if any(a >= b for a, b in zip(layers, layers[1:])):
            raise ValueError(f'reduce_layers={layers} must be strictly increasing (per-layer num_clusters / '
                             f'num_pairs lists follow its order); write {tuple(sorted(set(layers)))}.')
        if any(not 0 <= i < self.num_layers for i in layers):
            raise ValueError(f'reduce_layers={layers} must index layers in [0, {self.num_layers}).')
        return layers

    def _per_layer(self, name: str, value: Union[int, Sequence[int], None]) -> List[Optional[int]]:
        """One value per reducing layer from None, an int or a sequence of ints."""
        if value is None or isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return [value] * len(self.reduce_layers)
        check_type(name, value, (list, tuple), 'None, an int or a list of ints (one per reducing layer)')
        for j, v in enumerate(value):
            check_type(f'{name}[{j}]', v, numbers.Integral, 'an int')
        if len(value) != len(self.reduce_layers):
            raise ValueError(f'{name}={value} needs one value per reducing layer {self.reduce_layers} '
                             'or a single int.')
        return [int(v) for v in value]

    def token_counts(self, num_patches: Optional[int] = None) -> Tuple[int, ...]:
        """Tokens (CLS included) after every layer at the current keep rate, without running the model.

        Args:
            num_patches (int, optional): patch tokens of the input; default that of ``img_size``.

        Returns:
            tuple[int, ...]: one count per layer.
        """
        n = self.patch_resolution[0] * self.patch_resolution[1] if num_patches is None else num_patches
        counts = []
        for layer in self.layers:
            if layer.reducer is not None:
                n = layer.reducer.budget(n, self.keep_rate).num_out - 1
            counts.append(n + 1)
        return tuple(counts)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Same as ``VisionTransformer.forward`` with token sizes threaded through the layers.

        Args:
            x (Tensor): images, [B, 3, H_img, W_img].

        Returns:
            tuple[Tensor, ...]: one output per ``out_indices``: [B, C] ('cls_token', 'avg_featmap') or [B, N', C]
            ('raw').
        """
        batch = x.shape[0]
        x, patch_resolution = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(batch, -1, -1), x), dim=1)
        x = x + resize_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            patch_resolution,
            mode=self.interpolate_mode,
            num_extra_tokens=self.num_extra_tokens)
        x = self.pre_norm(self.drop_after_pos(x))
        size = torch.ones(x.shape[:2], device=x.device)

        outs = []
        for i, layer in enumerate(self.layers):
            x, size = layer(x, size, self.keep_rate)
            if i == len(self.layers) - 1 and self.final_norm:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(self._format_output(x, size))
        return tuple(outs)

    def _format_output(self, x: Tensor, size: Tensor) -> Tensor:
        """Output of one layer.

        Args:
            x (Tensor): [B, N', C].
            size (Tensor): [B, N'].

        Returns:
            Tensor: [B, C] for 'cls_token' / 'avg_featmap' (size-weighted mean of the patch tokens, then ``ln2``),
            [B, N', C] for 'raw'.
        """
        if self.out_type == 'raw':
            return x
        if self.out_type == 'cls_token':
            return x[:, 0]
        weight = size[:, 1:].unsqueeze(-1).to(x.dtype)
        return self.ln2((x[:, 1:] * weight).sum(dim=1) / weight.sum(dim=1))
