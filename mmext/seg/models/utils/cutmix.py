"""Box CutMix for semi-supervised segmentation, and AugSeg's adaptive label-injecting CutMix.

Zhao et al., "Augmentation Matters: A Simple-yet-Effective Approach to Semi-supervised Semantic Segmentation",
CVPR 2023 (arXiv 2212.04976), Sec. 3.3; re-implemented from the official ``cut_mix_label_adaptive`` and
``rand_bbox`` (ZhenZHAO/AugSeg, ``augseg/dataset/augs_ALIA.py``), batched and without in-place writes.

Random draws are made on the host with a ``numpy.random.Generator`` (:func:`sample_boxes`,
:func:`sample_adaptive_cutmix`) and the mixing itself is a pure tensor function of those draws
(:func:`adaptive_label_injecting_cutmix`), so tests can fix every box.

Shape shorthand: B = unlabelled images (= labelled images), C = image channels, H x W = crop size.
Boxes are ``(B, 4)`` int64 ``(top, left, bottom, right)``, half-open: rows ``top:bottom``, columns ``left:right``.
"""
import math
from typing import NamedTuple, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor


def sample_boxes(rng: np.random.Generator, num: int, size: Tuple[int, int], cut_size: Tuple[int, int],
                 centre_min_frac: float) -> np.ndarray:
    """Boxes of ``2 * (cut // 2)`` pixels per side around random centres, clipped to the image (``rand_bbox``).

    Args:
        rng (np.random.Generator): host random generator.
        num (int): B, one box per image.
        size (tuple[int, int]): ``(H, W)``.
        cut_size (tuple[int, int]): ``(cut_h, cut_w)`` box size before clipping.
        centre_min_frac (float): centres are drawn from ``randint(int(H * f), H)`` and ``randint(int(W * f), W)``;
            AugSeg uses 1/8, so boxes lean towards the bottom-right and are clipped there.

    Returns:
        np.ndarray: ``(B, 4)`` int64 boxes.
    """
    height, width = size
    cy = rng.integers(int(height * centre_min_frac), height, size=num)
    cx = rng.integers(int(width * centre_min_frac), width, size=num)
    half_h, half_w = cut_size[0] // 2, cut_size[1] // 2
    return np.stack([np.clip(cy - half_h, 0, height), np.clip(cx - half_w, 0, width),
                     np.clip(cy + half_h, 0, height), np.clip(cx + half_w, 0, width)], axis=1).astype(np.int64)


def box_masks(boxes: Tensor, size: Tuple[int, int]) -> Tensor:
    """``(B, 4)`` boxes -> ``(B, H, W)`` bool masks, True inside each box."""
    rows = torch.arange(size[0], device=boxes.device).view(1, -1, 1)
    cols = torch.arange(size[1], device=boxes.device).view(1, 1, -1)
    top, left, bottom, right = (boxes[:, i].view(-1, 1, 1) for i in range(4))
    return (rows >= top) & (rows < bottom) & (cols >= left) & (cols < right)


def paste(dst: Sequence[Tensor], src: Sequence[Tensor], mask: Tensor) -> Tuple[Tensor, ...]:
    """Takes ``src`` where ``mask`` is set and ``dst`` elsewhere, for aligned tensors (image, label, confidence).

    Args:
        dst (Sequence[Tensor]): tensors of shape ``(B, ..., H, W)``.
        src (Sequence[Tensor]): tensors of the same shapes (already permuted to the partner images).
        mask (Tensor): ``(B, H, W)`` bool.

    Returns:
        tuple[Tensor]: the mixed tensors, new (the inputs are not modified).
    """
    return tuple(torch.where(mask.view(mask.shape[0], *([1] * (d.dim() - 3)), *mask.shape[1:]), s, d)
                 for d, s in zip(dst, src))


def beta_cut_size(rng: np.random.Generator, beta: Tuple[float, float], size: Tuple[int, int]) -> Tuple[int, int]:
    """CutMix box size ``(int(H * sqrt(1 - lam)), int(W * sqrt(1 - lam)))`` with ``lam ~ Beta(*beta)``: the box
    covers ``1 - lam`` of the image on average before clipping (``E[1 - lam] = b / (a + b)``)."""
    cut = math.sqrt(1.0 - rng.beta(*beta))
    return int(size[0] * cut), int(size[1] * cut)


class AdaptiveCutMixDraw(NamedTuple):
    """The random draws of one adaptive CutMix (host arrays).

    Attributes:
        perm (np.ndarray): ``(B,)`` partner permutation pi, used by both stages.
        boxes_l (np.ndarray): ``(B, 4)`` labelled-injection boxes.
        boxes_u (np.ndarray): ``(B, 4)`` unlabelled CutMix boxes.
        uniforms (np.ndarray): ``(B,)`` U(0, 1) draws; image i receives a labelled box when ``uniforms[i] > rho[i]``.
    """
    perm: np.ndarray
    boxes_l: np.ndarray
    boxes_u: np.ndarray
    uniforms: np.ndarray


def sample_adaptive_cutmix(rng: np.random.Generator,
                           num: int,
                           size: Tuple[int, int],
                           beta_l: Tuple[float, float] = (8.0, 2.0),
                           beta_u: Tuple[float, float] = (4.0, 4.0),
                           centre_min_frac: float = 1 / 8) -> AdaptiveCutMixDraw:
    """Draws AugSeg's CutMix: one permutation, one area ratio per stage, per-image box centres and uniforms.

    Box sides are ``int(side * sqrt(1 - lam))`` with ``lam ~ Beta(*beta_l)`` for the labelled box (about 20% of the
    image area on average) and ``lam ~ Beta(*beta_u)`` for the unlabelled box (about 50%), one draw each per batch.

    Args:
        rng (np.random.Generator): host random generator.
        num (int): B.
        size (tuple[int, int]): ``(H, W)``.
        beta_l (tuple[float, float]): Beta parameters of the labelled box's lam.
        beta_u (tuple[float, float]): Beta parameters of the unlabelled box's lam.
        centre_min_frac (float): see :func:`sample_boxes`.

    Returns:
        AdaptiveCutMixDraw: the draws.
    """
    perm = rng.permutation(num)
    boxes_l = sample_boxes(rng, num, size, beta_cut_size(rng, beta_l, size), centre_min_frac)
    boxes_u = sample_boxes(rng, num, size, beta_cut_size(rng, beta_u, size), centre_min_frac)
    return AdaptiveCutMixDraw(perm, boxes_l, boxes_u, rng.random(num))


def adaptive_label_injecting_cutmix(strong: Tensor, label: Tensor, conf: Tensor, sup_img: Tensor, sup_label: Tensor,
                                    rho: Tensor, draw: AdaptiveCutMixDraw) -> Tuple[Tensor, Tensor, Tensor]:
    """AugSeg's adaptive CutMix: inject labelled boxes into unsure images, then CutMix the unlabelled batch.

    Stage A (injection): where ``uniforms[i] > rho[i]`` (probability ``1 - rho[i]``), image i's copy gets the box
    ``boxes_l[i]`` of labelled image ``pi(i)``, with its ground truth and confidence 1. Stage B (always): image i
    takes the box ``boxes_u[i]`` of stage A's image ``pi(i)``. So labelled pixels reach image i only through
    ``boxes_l[pi(i)] & boxes_u[i]``, gated by the partner's confidence, and come from labelled image ``pi(pi(i))``;
    outside ``boxes_u[i]`` image i keeps its own strong view (the author confirms the double mix is deliberate,
    ZhenZHAO/AugSeg issue #24).

    Args:
        strong (Tensor): ``(B, C, H, W)`` strong views of the unlabelled images.
        label (Tensor): ``(B, H, W)`` int64 teacher pseudo-labels on the weak views.
        conf (Tensor): ``(B, H, W)`` teacher confidence (max probability).
        sup_img (Tensor): ``(B, C, H, W)`` labelled images (same size as the unlabelled ones).
        sup_label (Tensor): ``(B, H, W)`` int64 ground truth of the labelled images (ignore index kept as is).
        rho (Tensor): ``(B,)`` per-image teacher confidence in [0, 1] (:func:`~.pseudo_labels.teacher_confidence`).
        draw (AdaptiveCutMixDraw): the random draws (:func:`sample_adaptive_cutmix`).

    Returns:
        tuple[Tensor, Tensor, Tensor]: mixed images ``(B, C, H, W)``, labels ``(B, H, W)``, confidences ``(B, H, W)``.
    """
    if sup_img.shape != strong.shape:
        raise ValueError(f'label injection needs as many labelled as unlabelled images of the same size, got '
                         f'labelled {tuple(sup_img.shape)} and unlabelled {tuple(strong.shape)}; use equal n_l and '
                         'n_u per GPU and pad both to the crop size (SegDataPreprocessor(size=...))')
    size = tuple(strong.shape[-2:])
    device = strong.device
    perm = torch.as_tensor(draw.perm, device=device)
    inject = torch.as_tensor(draw.uniforms, device=device, dtype=rho.dtype) > rho
    injected = box_masks(torch.as_tensor(draw.boxes_l, device=device), size) & inject.view(-1, 1, 1)
    stage_a = paste((strong, label, conf), (sup_img[perm], sup_label[perm], torch.ones_like(conf)), injected)
    mixed = box_masks(torch.as_tensor(draw.boxes_u, device=device), size)
    return paste((strong, label, conf), tuple(t[perm] for t in stage_a), mixed)
