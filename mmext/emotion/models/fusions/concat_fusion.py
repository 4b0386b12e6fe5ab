"""Early fusion of Deng et al. (arXiv 1805.00625), the reported model: the branch embeddings are concatenated.

Shape shorthand: B = batch, M = modalities, H_m = embedding width of modality m.
"""
from typing import List, Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor

from mmext.registry import MODELS


def masked(feats: Sequence[Tensor], masks: Optional[Sequence[Optional[Tensor]]]) -> List[Tensor]:
    """Zeroes each modality's rows where its mask is 0, so a missing modality contributes nothing.

    Args:
        feats (Sequence[Tensor]): M tensors of shape (B, H_m).
        masks (Sequence[Tensor | None], optional): M masks of shape (B,), 1 = present; None entries (or None) mean
            present everywhere.

    Returns:
        list[Tensor]: the M tensors, shape (B, H_m) each.
    """
    if masks is None:
        return list(feats)
    if len(masks) != len(feats):
        raise ValueError(f'got {len(masks)} masks for {len(feats)} modalities')
    return [f if m is None else f * m.to(f.dtype).view(-1, 1) for f, m in zip(feats, masks)]


@MODELS.register_module()
class ConcatFusion(BaseModule):
    """Concatenates the (masked) embeddings: M x (B, H_m) -> (B, sum H_m).

    Args:
        in_dims (Sequence[int]): H_m of each modality, in the order the regressor passes them.
        init_cfg (dict | list[dict], optional): MMEngine initialisation config.
    """

    def __init__(self, in_dims: Sequence[int], init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not in_dims:
            raise ValueError('in_dims must list the embedding width of at least one modality')
        self.in_dims = tuple(in_dims)
        self.out_dim = sum(self.in_dims)

    def forward(self, feats: Sequence[Tensor], masks: Optional[Sequence[Optional[Tensor]]] = None) -> Tensor:
        """M x (B, H_m) and optional M x (B,) masks -> (B, sum H_m)."""
        return torch.cat(masked(feats, masks), dim=1)
