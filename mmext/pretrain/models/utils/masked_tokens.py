"""Token bookkeeping of masked image modelling with a fixed number of masked patches per image (CAE v2).

Zhang et al., "CAE v2: Context Autoencoder with CLIP Latent Alignment", TMLR 2023 (arXiv 2211.09799). The official
code (Atten4Vis/CAE, ``furnace/engine_for_pretraining.py``) orders predictions and CLIP targets as
``[cls, visible (raster order), masked (raster order)]``; these functions do that split and reorder (see
``docs/cae_v2.md``).

Shape shorthand: B batch, N patches, V visible and M masked patches per image (V + M = N, the same for every image),
C channels.
"""
from typing import Tuple

import torch
from torch import Tensor


def masked_counts(mask: Tensor) -> Tuple[int, int]:
    """Visible and masked patch counts shared by every image of the batch.

    Args:
        mask (Tensor): bool, [B, N], True where a patch is masked.

    Returns:
        tuple[int, int]: (V, M).

    Raises:
        ValueError: if the images of the batch mask different numbers of patches (the token sequences would not
            stack; use a mask generator with a fixed count, e.g. ``BlockwiseMaskGenerator``).
    """
    if mask.dtype != torch.bool or mask.dim() != 2:
        raise ValueError(f'mask must be a bool tensor of shape [B, N], got {mask.dtype} {tuple(mask.shape)}.')
    counts = mask.sum(dim=1)
    if bool((counts != counts[:1]).any()):
        raise ValueError(f'every image must mask the same number of patches, got {counts.tolist()}; use a mask '
                         'generator with a fixed count (e.g. BlockwiseMaskGenerator).')
    num_masked = int(counts[0]) if counts.numel() else 0
    return mask.shape[1] - num_masked, num_masked


def split_by_mask(x: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
    """Split patch tokens into the visible and the masked ones, each in raster order.

    Args:
        x (Tensor): patch tokens (no CLS), [B, N, C].
        mask (Tensor): bool, [B, N], True where masked; the same count in every row.

    Returns:
        tuple[Tensor, Tensor]: visible [B, V, C] and masked [B, M, C].
    """
    if x.shape[:2] != mask.shape:
        raise ValueError(f'tokens {tuple(x.shape)} and mask {tuple(mask.shape)} disagree on [B, N].')
    num_visible, num_masked = masked_counts(mask)
    batch, _, channels = x.shape
    return x[~mask].reshape(batch, num_visible, channels), x[mask].reshape(batch, num_masked, channels)


def cls_visible_masked(tokens: Tensor, mask: Tensor) -> Tensor:
    """Reorder a full token sequence to the prediction order ``[cls, visible, masked]``.

    Args:
        tokens (Tensor): CLS first, then the N patch tokens in raster order, [B, 1 + N, C] (a teacher's output).
        mask (Tensor): bool, [B, N], True where masked.

    Returns:
        Tensor: [B, 1 + V + M, C].
    """
    if tokens.shape[1] != mask.shape[1] + 1:
        raise ValueError(f'tokens have {tokens.shape[1]} positions but the mask has {mask.shape[1]} patches; '
                         'expected CLS + one token per patch (the teacher and student grids must match).')
    visible, masked = split_by_mask(tokens[:, 1:], mask)
    return torch.cat([tokens[:, :1], visible, masked], dim=1)

