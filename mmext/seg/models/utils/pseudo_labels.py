"""Teacher pseudo-labels, per-image confidence and the thresholded pseudo-label loss of AugSeg (and iMAS).

Zhao et al., AugSeg (CVPR 2023, arXiv 2212.04976) Sec. 3.3 and iMAS (CVPR 2023, arXiv 2211.11335); re-implemented
from the official ``train_semi.py`` and ``compute_unsupervised_loss_by_threshold`` (ZhenZHAO/AugSeg,
``augseg/utils/loss_helper.py``).

Shape shorthand: B = images, K = classes, H x W = crop size.
"""
import math
from typing import NamedTuple, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


class PseudoLabels(NamedTuple):
    """Targets of one student view of the unlabelled batch.

    Attributes:
        label (Tensor): ``(B, H, W)`` int64 pseudo-labels (``ignore_index`` where there is none).
        conf (Tensor): ``(B, H, W)`` confidence of each label; pixels below the threshold are ignored.
        weight (Tensor, optional): ``(B,)`` per-image loss weights (iMAS); None weighs every image 1.
    """
    label: Tensor
    conf: Tensor
    weight: Optional[Tensor] = None


def teacher_confidence(probs: Tensor, eps: float = 1e-10) -> Tuple[Tensor, Tensor, Tensor]:
    """Pseudo-labels and AugSeg's per-image confidence ``rho`` from teacher probabilities.

    ``rho_i = mean_{H,W} (1 - ent) * max_k p`` with ``ent = -sum_k p log(p + eps) / log(K)`` the normalised entropy.

    Args:
        probs (Tensor): ``(B, K, H, W)`` softmax probabilities.
        eps (float): inside the log, as the official code.

    Returns:
        tuple[Tensor, Tensor, Tensor]: ``conf`` ``(B, H, W)`` (max probability), ``label`` ``(B, H, W)`` int64
        (argmax) and ``rho`` ``(B,)``.
    """
    conf, label = probs.max(dim=1)
    entropy = -(probs * torch.log(probs + eps)).sum(dim=1) / math.log(probs.shape[1])
    rho = ((1.0 - entropy) * conf).mean(dim=(1, 2))
    return conf, label, rho


def pseudo_label_loss(logits: Tensor,
                      target: PseudoLabels,
                      threshold: float,
                      ignore_index: int = 255) -> Tuple[Tensor, Tensor]:
    """Cross-entropy on confident pseudo-labels, averaged over ALL pixels, as the official code does.

    ``L = mean_i w_i * (1 / HW) * sum_{p valid} CE(logits_ip, y_ip)`` where a pixel is valid when its confidence
    is >= ``threshold`` and its label is not ``ignore_index``; ignored pixels count in the denominator (so the loss
    shrinks when few pixels pass, unlike ``CrossEntropyLoss(avg_non_ignore=True)``). With ``w = 1`` this is
    ``sum CE / (B * H * W)``.

    Args:
        logits (Tensor): ``(B, K, H, W)`` student logits at the label size.
        target (PseudoLabels): labels, confidences and optional per-image weights.
        threshold (float): confidence threshold tau (AugSeg: 0.95 on VOC; any value <= 0 keeps every pixel).
        ignore_index (int): label value without a target.

    Returns:
        tuple[Tensor, Tensor]: the loss (scalar) and the share of valid pixels (scalar, for logging).
    """
    valid = (target.conf >= threshold) & (target.label != ignore_index)
    labels = target.label.masked_fill(~valid, ignore_index)
    per_pixel = F.cross_entropy(logits, labels, ignore_index=ignore_index, reduction='none')
    per_image = per_pixel.mean(dim=(1, 2))
    if target.weight is not None:
        per_image = per_image * target.weight
    return per_image.mean(), valid.float().mean()
