"""Token reduction for plain ViTs: decoupling, density-peak clustering, bipartite matching and weighted merging.

Pure, stateless tensor functions used by the reducing layers of :class:`~mmext.pretrain.models.backbones.BATViT`.
They are re-implemented from the papers' descriptions; no code is copied from the cited repositories.

- BAT: Long et al., "Beyond Attentive Tokens: Incorporating Token Importance and Diversity for Efficient Vision
  Transformers", CVPR 2023 (arXiv 2211.11315), Fig. 3. Its repository (BWLONG/BeyondAttentiveTokens) has no code.
- EViT: Liang et al., ICLR 2022 (youweiliang/evit, ``models/evit.py``, ``helpers.py``): CLS attention averaged over
  heads, ``ceil(keep_rate * n)`` attentive tokens, the fused inattentive token and the keep-rate warmup.
- DPC-kNN: Zeng et al., "Not All Tokens Are Equal: Human-centric Visual Analysis via Token Clustering Transformer"
  (TCFormer), CVPR 2022: kNN density, distance to the nearest denser token, centres by density x distance.
- Bipartite soft matching: Bolya et al., "Token Merging: Your ViT But Faster" (ToMe), ICLR 2023, Sec. 3.

Shape shorthand:
    B: batch size. N: tokens including the CLS token. n = N - 1: patch tokens. C: channels. H: attention heads.
    d: channels per head. K: attentive tokens. M = n - K: inattentive tokens. Cn: clusters of inattentive tokens.
    r: merged pairs of attentive tokens. L: tokens given to a merge. G: groups a merge produces. c: metric channels.

Equations and the choices the paper leaves open are in ``docs/bat.md``; each unverified choice is an argument:
``cluster_ratio`` (Cn = r rule), ``knn_k``, ``dpc_variant``, ``dist_scale``, ``cluster_on``, the matching metric and
order, the merge weights and the CLS-attention head reduction.
"""
import math
import numbers
from typing import NamedTuple, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmext.utils.validation import check_choice, check_type

REDUCE_MODES = ('bat', 'evit', 'tome')
DPC_VARIANTS = ('knn', 'all', 'no_delta')
MATCH_ORDERS = ('spatial', 'attention')
MERGE_WEIGHTS = ('attn', 'size', 'mean')
HEAD_REDUCTIONS = ('mean', 'max')
CLUSTER_FEATURES = ('ln', 'raw')


class TokenBudget(NamedTuple):
    """Token counts of one reducing layer.

    Attributes:
        keep (int): K, attentive tokens (``mode='tome'``: all n patch tokens).
        inattentive (int): M = n - K.
        clusters (int): Cn, tokens the inattentive set becomes (``mode='evit'``: 1 fused token).
        pairs (int): r, pairs of attentive tokens merged into one.
    """
    keep: int
    inattentive: int
    clusters: int
    pairs: int

    @property
    def num_out(self) -> int:
        """Tokens after the reduction, CLS included: ``1 + K - r + Cn``."""
        return 1 + self.keep - self.pairs + self.clusters

    @property
    def is_identity(self) -> bool:
        """True when nothing is merged or removed (the layer is an ordinary ViT layer)."""
        return self.inattentive == 0 and self.pairs == 0


def check_keep_rate(keep_rate: float) -> None:
    """Raise ``TypeError`` / ``ValueError`` unless ``keep_rate`` is a real number in (0, 1] (not a bool or str)."""
    check_type('keep_rate', keep_rate, numbers.Real, 'a real number in (0, 1]')
    if not 0 < keep_rate <= 1:
        raise ValueError(f'keep_rate must lie in (0, 1], got {keep_rate}.')


def token_budget(num_patches: int,
                 keep_rate: float,
                 mode: str = 'bat',
                 cluster_ratio: float = 0.5,
                 num_clusters: Optional[int] = None,
                 num_pairs: Optional[int] = None) -> TokenBudget:
    """Token counts of one reducing layer.

    ``K = ceil(keep_rate * n)`` (EViT's rounding). ``mode='bat'``: by default
    ``Cn = r = min(floor(cluster_ratio * M), floor(K / 2))``, so the layer outputs ``1 + K`` tokens; this rule fits
    the official rho = 0.7 log and the paper's Fig. 3 toy example but is **unverified** for other keep rates. When
    the rule gives 0 while M > 0, Cn = 1 (and r = 1 if K >= 2) so that no inattentive token is discarded.
    ``mode='evit'``: the M inattentive tokens become one fused token (Cn = 1, r = 0). ``mode='tome'``: no decoupling
    (K = n); ``r = num_pairs`` or, by default, ``n - ceil(keep_rate * n)`` so the output count matches ``'bat'``.

    Args:
        num_patches (int): n, patch tokens entering the layer (CLS excluded).
        keep_rate (float): rho in (0, 1].
        mode (str): 'bat', 'evit' or 'tome'.
        cluster_ratio (float): Cn = floor(cluster_ratio * M) in the default 'bat' rule. Unverified.
        num_clusters (int, optional): explicit Cn ('bat' only), 1 <= Cn <= M when M > 0.
        num_pairs (int, optional): explicit r ('bat', 'tome'), r <= floor(K / 2).

    Returns:
        TokenBudget: K, M, Cn and r.
    """
    check_choice('mode', mode, REDUCE_MODES)
    check_keep_rate(keep_rate)
    check_type('cluster_ratio', cluster_ratio, numbers.Real, 'a real number in [0, 1]')
    if not 0 <= cluster_ratio <= 1:
        raise ValueError(f'cluster_ratio={cluster_ratio} must lie in [0, 1].')
    for name, value in (('num_clusters', num_clusters), ('num_pairs', num_pairs)):
        check_type(name, value, (numbers.Integral, type(None)), 'an int or None')
    if mode != 'bat' and num_clusters is not None:
        raise ValueError(f"num_clusters is only used by mode='bat'; got mode={mode!r}. Set num_clusters=None.")
    if mode == 'evit' and num_pairs is not None:
        raise ValueError("num_pairs is not used by mode='evit' (no matching). Set num_pairs=None.")

    keep = math.ceil(keep_rate * num_patches)
    if mode == 'tome':
        pairs = num_patches - keep if num_pairs is None else num_pairs
        if not 0 <= pairs <= num_patches // 2:
            raise ValueError(f'num_pairs={pairs} with {num_patches} tokens: bipartite matching merges at most '
                             f'{num_patches // 2} pairs; raise keep_rate or lower num_pairs.')
        return TokenBudget(num_patches, 0, 0, pairs)

    inattentive = num_patches - keep
    if mode == 'evit':
        return TokenBudget(keep, inattentive, int(inattentive > 0), 0)

    rule = min(math.floor(cluster_ratio * inattentive), keep // 2)
    clusters = (max(rule, 1) if inattentive else 0) if num_clusters is None else num_clusters
    pairs = min(clusters, keep // 2) if num_pairs is None else num_pairs
    if inattentive and not 1 <= clusters <= inattentive:
        raise ValueError(f'num_clusters={clusters} must lie in [1, M={inattentive}] (M inattentive tokens at '
                         f'keep_rate={keep_rate}, n={num_patches}). Explicit counts need a fixed keep rate; use '
                         'num_clusters=None (the cluster_ratio rule) with a keep-rate warmup.')
    if not inattentive and clusters:
        raise ValueError(f'num_clusters={clusters} but keep_rate={keep_rate} leaves no inattentive token; '
                         'use num_clusters=None with a keep-rate warmup.')
    if not 0 <= pairs <= keep // 2:
        raise ValueError(f'num_pairs={pairs} must lie in [0, floor(K/2)={keep // 2}] (K={keep} attentive tokens); '
                         'lower num_pairs or raise keep_rate.')
    return TokenBudget(keep, inattentive, clusters, pairs)


def keep_rate_at(epoch: float, keep_rate: float, start_epoch: float = 10, warmup_epochs: float = 100) -> float:
    """Keep rate during EViT's cosine warmup from 1 to ``keep_rate``.

    Args:
        epoch (float): training progress in epochs (fractional when updated per iteration).
        keep_rate (float): target rho.
        start_epoch (float): epochs at keep rate 1 before the warmup window.
        warmup_epochs (float): length of the window; 0 jumps to ``keep_rate`` at ``start_epoch``.

    Returns:
        float: 1 before the window, ``keep_rate`` after it, ``rho + (1 - rho) * (1 + cos(pi * t)) / 2`` inside, with
        t in [0, 1) the progress through the window.
    """
    if epoch < start_epoch:
        return 1.0
    if epoch >= start_epoch + warmup_epochs:
        return keep_rate
    progress = (epoch - start_epoch) / warmup_epochs
    return keep_rate + (1 - keep_rate) * 0.5 * (1 + math.cos(math.pi * progress))


def cls_attention(q_cls: Tensor, k: Tensor, attn_bias: Optional[Tensor] = None, head_reduce: str = 'mean') -> Tensor:
    """Attention of the CLS query to the patch tokens, without the N x N attention matrix.

    Fused attention (``F.scaled_dot_product_attention``) returns no weights, so the CLS row is recomputed from its
    query and the keys: O(N * C) instead of O(N^2 * C). The softmax runs over all N keys, CLS included (EViT), in
    fp32; the CLS column is dropped afterwards, so the scores of a row do not sum to 1.

    Args:
        q_cls (Tensor): CLS query, [B, H, 1, d].
        k (Tensor): keys, [B, H, N, d].
        attn_bias (Tensor, optional): additive logit bias broadcastable to [B, H, 1, N] (proportional attention).
        head_reduce (str): 'mean' (EViT) or 'max' over heads. Which one BAT uses is unverified.

    Returns:
        Tensor: scores of the patch tokens, fp32, [B, n].
    """
    check_choice('head_reduce', head_reduce, HEAD_REDUCTIONS)
    logits = (q_cls * q_cls.shape[-1]**-0.5) @ k.transpose(-2, -1)
    if attn_bias is not None:
        logits = logits + attn_bias
    attn = logits.float().softmax(dim=-1)[:, :, 0, 1:]
    return attn.mean(dim=1) if head_reduce == 'mean' else attn.amax(dim=1)


def descending_order(scores: Tensor) -> Tensor:
    """Indices that sort ``scores`` [B, L] in descending order, equal scores by ascending index (deterministic)."""
    return scores.sort(dim=1, descending=True, stable=True).indices


def decouple(scores: Tensor, num_keep: int, order: str = 'spatial') -> Tuple[Tensor, Tensor]:
    """Split patch tokens into the ``num_keep`` most attended (attentive) ones and the rest (inattentive).

    Args:
        scores (Tensor): CLS attention of the patch tokens, [B, n].
        num_keep (int): K.
        order (str): order of the attentive indices: 'spatial' (ascending token index) or 'attention'
            (descending score). It decides which tokens fall on each side of the bipartite split
            (:func:`bipartite_pairs`); which order BAT uses is unverified.

    Returns:
        tuple[Tensor, Tensor]: attentive indices [B, K] and inattentive indices [B, M] into the patch tokens (equal
        scores rank by token index).
    """
    check_choice('order', order, MATCH_ORDERS)
    rank = descending_order(scores)
    attentive, inattentive = rank[:, :num_keep], rank[:, num_keep:]
    if order == 'spatial':
        attentive = attentive.sort(dim=1).values
    return attentive, inattentive


def batch_gather(tokens: Tensor, index: Tensor) -> Tensor:
    """Pick tokens per sample.

    Args:
        tokens (Tensor): [B, L] or [B, L, C].
        index (Tensor): [B, L'] indices into dim 1.

    Returns:
        Tensor: [B, L'] or [B, L', C].
    """
    if tokens.dim() == 2:
        return tokens.gather(1, index)
    return tokens.gather(1, index.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))


def pairwise_sq_dist(x: Tensor) -> Tensor:
    """Squared Euclidean distances ``|a|^2 + |b|^2 - 2 a.b`` in fp32.

    Written with a matmul rather than ``torch.cdist`` so that FLOP counters see the M^2 * C multiply-adds; the
    squared norms are the diagonal of the same Gram matrix (no extra pass over x, and exactly 0 self-distances).

    Args:
        x (Tensor): [B, M, C].

    Returns:
        Tensor: [B, M, M], clamped at 0 against rounding.
    """
    with torch.autocast(device_type=x.device.type, enabled=False):
        gram = x.float() @ x.float().transpose(1, 2)
        sq = gram.diagonal(dim1=1, dim2=2)
        return (sq.unsqueeze(2) + sq.unsqueeze(1) - 2 * gram).clamp_min(0)


@torch.no_grad()
def dpc_knn_cluster(x: Tensor,
                    num_clusters: int,
                    knn_k: int = 5,
                    variant: str = 'knn',
                    dist_scale: Optional[float] = None,
                    cluster_on: str = 'ln') -> Tuple[Tensor, Tensor]:
    """Density-peak clustering (DPC-kNN, TCFormer) of tokens; BAT's "simplified" variant is unverified.

    With D the scaled distances: density ``rho_i = exp(-mean_{j in kNN_k(i)} D_ij^2)`` (the kNN include i itself,
    as in TCFormer), ``delta_i = min_{j denser than i} D_ij`` (``max_j D_ij`` for the densest token), centres = the
    ``num_clusters`` largest ``rho * delta``, every token joins its nearest centre and each centre itself.

    Densities are kept as ``log rho`` and centres ranked by ``log rho + log delta``: the same order as
    ``rho * delta`` without ``exp`` underflowing to 0 for large activations. Ties are broken by token index, not by
    random noise: "j denser than i" means ``rho_j > rho_i`` or (``rho_j == rho_i`` and ``j < i``), equal scores
    rank the lower index first, and a token equidistant to two centres joins the higher-ranked one. The result is
    deterministic and the global RNG is not used.

    Args:
        x (Tensor): tokens to cluster, [B, M, C].
        num_clusters (int): Cn, 1 <= Cn <= M.
        knn_k (int): k of the kNN density (TCFormer's default 5); capped at M. Unverified for BAT.
        variant (str): 'knn' (above), 'all' (density over all M tokens) or 'no_delta' (centres by density alone).
        dist_scale (float, optional): distances are multiplied by it; default ``C ** -0.5`` (TCFormer).
        cluster_on (str): 'ln' clusters the tokens after a LayerNorm over channels without affine parameters (as
            TCFormer clusters LayerNorm-ed tokens; BAT adds no parameters), 'raw' the tokens as given. Unverified.

    Returns:
        tuple[Tensor, Tensor]: cluster index of every token [B, M] (int64 in [0, Cn)) and the token index of each
        centre [B, Cn], highest score first; centre c is assigned to cluster c.
    """
    check_choice('variant', variant, DPC_VARIANTS)
    check_choice('cluster_on', cluster_on, CLUSTER_FEATURES)
    num_tokens, channels = x.shape[1:]
    if not 1 <= num_clusters <= num_tokens:
        raise ValueError(f'num_clusters={num_clusters} must lie in [1, {num_tokens}] (number of tokens).')
    if knn_k < 1:
        raise ValueError(f'knn_k={knn_k} must be >= 1.')
    if cluster_on == 'ln':
        with torch.autocast(device_type=x.device.type, enabled=False):
            x = F.layer_norm(x.float(), (channels, ), eps=1e-6)
    scale = channels**-0.5 if dist_scale is None else dist_scale
    sq_dist = pairwise_sq_dist(x) * scale**2
    dist = sq_dist.sqrt()
    if variant == 'all':
        log_density = -sq_dist.mean(dim=-1)
    else:
        log_density = -sq_dist.topk(min(knn_k, num_tokens), dim=-1, largest=False).values.mean(dim=-1)

    if variant == 'no_delta':
        score = log_density
    else:
        index = torch.arange(num_tokens, device=x.device)
        dens_i, dens_j = log_density.unsqueeze(2), log_density.unsqueeze(1)
        denser = (dens_j > dens_i) | ((dens_j == dens_i) & (index < index.unsqueeze(1)))  # [B, i, j]: j denser
        delta = torch.where(denser, dist, dist.amax(dim=-1, keepdim=True)).amin(dim=-1)
        score = log_density + delta.log()  # delta = 0 (a duplicate of a denser token) ranks last

    centres = score.sort(dim=-1, descending=True, stable=True).indices[:, :num_clusters]
    assign = batch_gather(dist, centres).argmin(dim=1)  # first minimum: the higher-ranked centre
    cluster_ids = torch.arange(num_clusters, device=x.device).expand_as(centres)
    return assign.scatter(1, centres, cluster_ids), centres


@torch.no_grad()
def bipartite_pairs(metric: Tensor, num_pairs: int, class_token: bool = False) -> Tensor:
    """Bipartite soft matching (ToMe): merge the ``r`` most similar (A -> B) pairs; returns the merge groups.

    Tokens alternate between side A (even positions, ceil(L/2)) and side B (odd positions, floor(L/2)). Every A
    token points to its most cosine-similar B token (the first one on ties); the r A tokens with the highest
    similarity (ties: lower position first) are merged into their B token (several may share one), the rest stay.
    A token is never merged with another A token. Groups follow ToMe's output order: the unmerged A tokens in
    position order, then the B tokens.

    Args:
        metric (Tensor): features that define similarity, [B, L, c].
        num_pairs (int): r, 0 <= r <= floor((L - class_token) / 2).
        class_token (bool): token 0 is a CLS token: it is A[0], never merged, and keeps group 0 (ToMe's
            ``class_token=True``).

    Returns:
        Tensor: group of every token, [B, L] int64 in [0, L - r): the i-th unmerged A token (in position order)
        takes group i, B token j takes group ``ceil(L/2) - r + j`` and a merged A token takes its B token's group.
        Combine with :func:`weighted_merge`.
    """
    batch, length = metric.shape[:2]
    max_pairs = (length - int(class_token)) // 2
    if not 0 <= num_pairs <= max_pairs:
        raise ValueError(f'num_pairs={num_pairs} must lie in [0, {max_pairs}] for {length} tokens '
                         f'(class_token={class_token}).')
    with torch.autocast(device_type=metric.device.type, enabled=False):
        metric = F.normalize(metric.float(), dim=-1)
        scores = metric[:, 0::2] @ metric[:, 1::2].transpose(1, 2)  # [B, ceil(L/2), floor(L/2)]
        if class_token:
            scores[:, 0] = -math.inf
        best, dst = scores.max(dim=-1)
    src = best.sort(dim=-1, descending=True, stable=True).indices[:, :num_pairs]
    num_unmerged = best.shape[1] - num_pairs
    is_src = torch.zeros_like(dst).scatter_(1, src, 1)  # int64 0/1 (a bool scatter value does not jit-trace)
    groups = torch.empty(batch, length, dtype=torch.long, device=metric.device)
    groups[:, 0::2] = torch.where(is_src.bool(), num_unmerged + dst, (1 - is_src).cumsum(dim=1) - 1)
    groups[:, 1::2] = num_unmerged + torch.arange(length // 2, device=metric.device)
    return groups


def weighted_merge(x: Tensor,
                   groups: Tensor,
                   num_groups: int,
                   weight: Optional[Tensor] = None,
                   size: Optional[Tensor] = None,
                   normalize: bool = True) -> Tuple[Tensor, Optional[Tensor]]:
    """Merge tokens by group into their weighted mean (or weighted sum); sizes add up.

    Accumulates in fp32 (``index_add``); gradients flow to ``x`` (and ``weight``), not through the groups. A group
    whose weights are all 0 (e.g. CLS attention that underflowed) is averaged with size weights instead (equal
    weights without ``size``), so that it never becomes a zero vector.

    Args:
        x (Tensor): tokens, [B, L, C].
        groups (Tensor): group of each token, [B, L] int64 in [0, G).
        num_groups (int): G; every group should receive at least one token (an empty group yields zeros).
        weight (Tensor, optional): non-negative weight of each token, [B, L]; None weighs all tokens equally.
        size (Tensor, optional): patches each token stands for, [B, L].
        normalize (bool): True for the weighted mean ``sum w x / sum w`` (BAT); False for the weighted sum
            ``sum w x`` (EViT's fused token; no fallback).

    Returns:
        tuple[Tensor, Tensor | None]: merged tokens [B, G, C] in ``x.dtype`` and their sizes [B, G] (None when
        ``size`` is None).
    """
    batch, _, channels = x.shape
    # one index_add over flattened (sample, group) rows: several times faster on CPU than a scatter_add along dim 1
    # with a [B, L, C] expanded index
    rows = (groups + num_groups * torch.arange(batch, device=groups.device).unsqueeze(1)).flatten()

    def group_sum(values: Tensor) -> Tensor:
        return values.new_zeros(batch * num_groups).index_add(0, rows, values.flatten()).view(batch, num_groups)

    merged_size = None if size is None else group_sum(size)
    weight = x.new_ones(groups.shape, dtype=torch.float32) if weight is None else weight.float()
    if normalize:
        norm = group_sum(weight)
        fallback = x.new_ones(groups.shape, dtype=torch.float32) if size is None else size.float()
        zero_group = norm == 0
        weight = torch.where(zero_group.flatten()[rows].view_as(weight), fallback, weight)
        norm = torch.where(zero_group, group_sum(fallback), norm)
    total = x.new_zeros(batch * num_groups, channels, dtype=torch.float32)
    total = total.index_add(0, rows, (x.float() * weight.unsqueeze(-1)).flatten(0, 1)).view(batch, num_groups, -1)
    if normalize:
        total = total / norm.clamp_min(torch.finfo(torch.float32).tiny).unsqueeze(-1)
    return total.to(x.dtype), merged_size


def reduce_tokens(x: Tensor,
                  size: Tensor,
                  budget: TokenBudget,
                  cls_attn: Optional[Tensor] = None,
                  metric: Optional[Tensor] = None,
                  mode: str = 'bat',
                  knn_k: int = 5,
                  dpc_variant: str = 'knn',
                  dist_scale: Optional[float] = None,
                  match_order: str = 'spatial',
                  merge_weight: str = 'attn',
                  cluster_on: str = 'ln') -> Tuple[Tensor, Tensor]:
    """Shrink a token sequence as one reducing layer of BAT, EViT or ToMe does.

    - 'bat': decouple by CLS attention; r bipartite merges among the K attentive tokens; DPC-kNN clustering of the
      M inattentive tokens into Cn weighted means. Output ``[CLS, attentive (K - r), clusters (Cn)]``.
    - 'evit': keep the K attentive tokens; the inattentive ones become their CLS-attention-weighted sum
      (a sum as in EViT, not a mean). Output ``[CLS, attentive (K), fused (1)]``.
    - 'tome': ToMe's bipartite soft matching over the whole sequence (CLS = A[0], never merged), no decoupling.
      Output ``[CLS, unmerged A tokens in position order, B tokens (n - r in all)]``, as in ToMe.

    The CLS token is never merged. Sizes (patches per token) add up in every merge.

    Args:
        x (Tensor): tokens with CLS first, [B, N, C].
        size (Tensor): patches per token, [B, N].
        budget (TokenBudget): counts from :func:`token_budget` for n = N - 1.
        cls_attn (Tensor, optional): CLS attention of the patch tokens, [B, n]; required by 'bat' and 'evit',
            by ``merge_weight='attn'`` and by ``match_order='attention'``.
        metric (Tensor, optional): matching features with CLS first, [B, N, c]; None matches on ``x``.
        mode (str): 'bat', 'evit' or 'tome'.
        knn_k (int): see :func:`dpc_knn_cluster`.
        dpc_variant (str): see :func:`dpc_knn_cluster`.
        dist_scale (float, optional): see :func:`dpc_knn_cluster`.
        match_order (str): see :func:`decouple`; in 'tome' mode 'spatial' keeps the current token order.
        merge_weight (str): weights of the 'bat'/'tome' means: 'attn' (CLS attention), 'size' or 'mean' (equal).
            Which one BAT uses is unverified; ToMe uses 'size'.
        cluster_on (str): see :func:`dpc_knn_cluster`.

    Returns:
        tuple[Tensor, Tensor]: reduced tokens [B, budget.num_out, C] and their sizes [B, budget.num_out].
    """
    check_choice('mode', mode, REDUCE_MODES)
    check_choice('merge_weight', merge_weight, MERGE_WEIGHTS)
    check_choice('match_order', match_order, MATCH_ORDERS)
    num_patches = x.shape[1] - 1
    if budget.keep + budget.inattentive != num_patches:
        raise ValueError(f'budget {budget} was made for {budget.keep + budget.inattentive} patch tokens, but x has '
                         f'{num_patches}; compute it with token_budget(num_patches={num_patches}, ...).')
    needs_attn = mode != 'tome' or merge_weight == 'attn' or match_order == 'attention'
    if needs_attn and cls_attn is None:
        raise ValueError(f"cls_attn is required by mode={mode!r}, merge_weight={merge_weight!r}, "
                         f"match_order={match_order!r}; pass cls_attention(...) of the patch tokens.")

    patches, patch_size = x[:, 1:], size[:, 1:]
    weight = {'attn': cls_attn, 'size': patch_size, 'mean': None}[merge_weight]

    if mode == 'tome':
        if not budget.pairs:
            return x, size
        metric = x if metric is None else metric
        if match_order == 'attention':
            rank = descending_order(cls_attn)
            patches, patch_size, weight = _gather_optional(rank, patches, patch_size, weight)
            metric = torch.cat([metric[:, :1], batch_gather(metric[:, 1:], rank)], dim=1)
        # as in ToMe, the CLS token is A[0] of the alternation over the whole sequence (patch tokens at odd
        # sequence positions form side A) and is never merged; its group 0 is dropped
        groups = bipartite_pairs(metric, budget.pairs, class_token=True)[:, 1:] - 1
        kept, kept_size = weighted_merge(patches, groups, num_patches - budget.pairs, weight, patch_size)
        return torch.cat([x[:, :1], kept], dim=1), torch.cat([size[:, :1], kept_size], dim=1)

    idx_att, idx_in = decouple(cls_attn, budget.keep, match_order)
    kept, kept_size, kept_metric, kept_weight = _gather_optional(idx_att, patches, patch_size,
                                                                 None if metric is None else metric[:, 1:], weight)
    rest, rest_size = batch_gather(patches, idx_in), batch_gather(patch_size, idx_in)
    if mode == 'evit':
        groups = idx_in.new_zeros(idx_in.shape)
        rest, rest_size = weighted_merge(rest, groups, budget.clusters, batch_gather(cls_attn, idx_in), rest_size,
                                         normalize=False)
    else:
        if budget.pairs:
            groups = bipartite_pairs(kept if kept_metric is None else kept_metric, budget.pairs)
            kept, kept_size = weighted_merge(kept, groups, budget.keep - budget.pairs, kept_weight, kept_size)
        if budget.clusters:
            groups, _ = dpc_knn_cluster(rest, budget.clusters, knn_k, dpc_variant, dist_scale, cluster_on)
            rest_weight, = _gather_optional(idx_in, weight)
            rest, rest_size = weighted_merge(rest, groups, budget.clusters, rest_weight, rest_size)
    return torch.cat([x[:, :1], kept, rest], dim=1), torch.cat([size[:, :1], kept_size, rest_size], dim=1)


def _gather_optional(index: Tensor, *tokens: Optional[Tensor]) -> Tuple[Optional[Tensor], ...]:
    """:func:`batch_gather` of each tensor; None stays None."""
    return tuple(None if t is None else batch_gather(t, index) for t in tokens)
