"""The divisor of a pixel cross-entropy averaged over the pixels a pixel sampler kept (docs/augseg.md, section 7)."""
from typing import Optional

import torch
from torch import Tensor


def kept_pixel_divisor(label: Tensor, weight: Optional[Tensor] = None, class_weight: Optional[Tensor] = None,
                       ignore_index: int = 255) -> Tensor:
    """Sum over the labelled pixels of ``weight * class_weight[label]``: what torch's ``cross_entropy`` with
    ``reduction='mean'`` divides by when the pixels with ``weight == 0`` are set to ``ignore_index``.

    This is the normalisation of the official AugSeg / iMAS OHEM loss: OHEM marks the pixels it drops as ignored and
    averages the cross-entropy over the kept ones. mmseg's ``OHEMPixelSampler`` returns the kept pixels as a 0/1
    ``weight`` instead, and mmseg's ``CrossEntropyLoss`` divides the weighted sum by all (or all labelled) pixels.

    Args:
        label (Tensor): class indices, any shape, ``ignore_index`` where unlabelled.
        weight (Tensor, optional): per-pixel weight of ``label``'s shape (a sampler's 0/1 map). None: every labelled
            pixel counts once (torch's mean over labelled pixels).
        class_weight (Tensor, optional): ``(K,)`` class weights (torch's ``weight`` argument).
        ignore_index (int): label of unlabelled pixels. Default: 255.

    Returns:
        Tensor: 0-d float tensor (0 when nothing is kept).
    """
    labelled = label != ignore_index
    counted = labelled.float()
    if weight is not None:
        if weight.shape != label.shape:
            raise ValueError(f'weight has shape {tuple(weight.shape)} but label has {tuple(label.shape)}: a pixel '
                             "sampler's weight must have one value per label pixel")
        counted = counted * weight.float()
    if class_weight is not None:
        safe_label = torch.where(labelled, label, torch.zeros_like(label))
        counted = counted * class_weight.to(counted)[safe_label]
    return counted.sum()
