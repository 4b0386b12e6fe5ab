"""iMAS's per-image hardness and the model-adaptive operations it drives: view blending and hardness-paired CutMix.

Zhao et al., "Instance-specific and Model-adaptive Supervision for Semi-supervised Semantic Segmentation", CVPR 2023
(arXiv 2211.11335); re-implemented from the official ``compute_ulb_hardness_all`` (``imas/utils/loss_helper.py``),
``cut_mix_by_hardness`` (``imas/dataset/cutmix_tensor.py``) and ``train_semi.py`` (ZhenZHAO/iMAS @ 96e57e0),
batched on the device (the official code builds one confusion matrix per image in NumPy). ``docs/imas.md`` has the
equations.

The official "hardness" grows as an image gets EASIER (student and teacher agree, confidently): ``h = 1`` is the
easiest image. The paper's hardness is presumably ``1 - h``; mmext keeps the code's quantity and calls it ``h``.

Shape shorthand: B = unlabelled images, K = classes, C = image channels, H x W = crop size.
"""
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from .cutmix import box_masks, paste, sample_boxes


def weighted_iou(pred: Tensor, ref: Tensor, num_classes: int, class_weighted: bool = True,
                 background_index: Optional[int] = 0) -> Tensor:
    """Per-image IoU between two label maps, averaged over classes with the reference map's class frequencies.

    ``IoU_c = |pred = c AND ref = c| / |pred = c OR ref = c|``. With ``class_weighted``, the result is
    ``sum_c w_c IoU_c`` with ``w_c = n_c(ref) / sum_c' n_c'(ref)`` over the classes other than ``background_index``
    (its weight is 0), and 0 when the reference holds nothing but background (the official ``np.nansum`` of an
    all-NaN vector). Without it, the plain mean over the classes present in either map (``np.nanmean``; the
    background is not excluded there, as in the official code).

    Args:
        pred (Tensor): ``(B, H, W)`` int64 label map, values in [0, K).
        ref (Tensor): ``(B, H, W)`` int64 reference label map, values in [0, K).
        num_classes (int): K.
        class_weighted (bool): weight classes by their pixel share in ``ref``. Default: True.
        background_index (int, optional): class given weight 0 by the class weighting; None keeps every class.
            Default: 0 (the official ``flag_cal_iou_ignore_bg``; on Cityscapes class 0 is road).

    Returns:
        Tensor: ``(B,)`` float32 in [0, 1].
    """
    if pred.shape != ref.shape or pred.dim() != 3:
        raise ValueError(f'pred and ref must be (B, H, W) label maps of one shape, got {tuple(pred.shape)} and '
                         f'{tuple(ref.shape)}')
    if background_index is not None and not 0 <= background_index < num_classes:
        raise ValueError(f'background_index must be a class index in [0, {num_classes}) or None, got '
                         f'{background_index}')
    num = pred.shape[0]
    k = num_classes
    # One confusion matrix per image, [image, ref class, pred class], from a single bincount.
    offsets = torch.arange(num, device=pred.device).view(-1, 1) * (k * k)
    index = offsets + ref.flatten(1) * k + pred.flatten(1)
    confusion = torch.bincount(index.flatten(), minlength=num * k * k).view(num, k, k)
    intersection = confusion.diagonal(dim1=1, dim2=2)
    ref_count = confusion.sum(dim=2)
    union = ref_count + confusion.sum(dim=1) - intersection
    iou = intersection.float() / union.clamp(min=1).float()
    if not class_weighted:
        present = union > 0
        return (iou * present).sum(dim=1) / present.sum(dim=1).clamp(min=1)
    weights = ref_count.float()
    if background_index is not None:
        weights[:, background_index] = 0.0
    total = weights.sum(dim=1)
    return torch.where(total > 0, (weights * iou).sum(dim=1) / total.clamp(min=1), torch.zeros_like(total))


def instance_hardness(student_label: Tensor,
                      student_conf: Tensor,
                      teacher_label: Tensor,
                      teacher_conf: Tensor,
                      num_classes: int,
                      threshold: float,
                      class_weighted: bool = True,
                      background_index: Optional[int] = 0) -> Tensor:
    """iMAS's hardness of each unlabelled image (official ``hardness_v1``; larger = easier).

    ``h = (r_t * wIoU_t + r_s * wIoU_s) / 2`` where ``wIoU_t`` is the IoU of the student and teacher argmax maps
    weighted by the teacher map's class frequencies, ``wIoU_s`` the same weighted by the student map's (the
    "class-weighted symmetric IoU"; see :func:`weighted_iou`), and ``r_t``, ``r_s`` the shares of pixels whose
    teacher / student confidence is >= ``threshold``.

    Args:
        student_label (Tensor): ``(B, H, W)`` int64 student argmax on the weak view.
        student_conf (Tensor): ``(B, H, W)`` student max probability.
        teacher_label (Tensor): ``(B, H, W)`` int64 teacher argmax on the weak view.
        teacher_conf (Tensor): ``(B, H, W)`` teacher max probability.
        num_classes (int): K.
        threshold (float): confidence threshold tau of the confident shares.
        class_weighted (bool): see :func:`weighted_iou`. Default: True.
        background_index (int, optional): see :func:`weighted_iou`. Default: 0.

    Returns:
        Tensor: ``(B,)`` float32 hardness in [0, 1].
    """
    iou_t = weighted_iou(student_label, teacher_label, num_classes, class_weighted, background_index)
    iou_s = weighted_iou(teacher_label, student_label, num_classes, class_weighted, background_index)
    ratio_t = (teacher_conf >= threshold).float().mean(dim=(1, 2))
    ratio_s = (student_conf >= threshold).float().mean(dim=(1, 2))
    return 0.5 * (ratio_t * iou_t + ratio_s * iou_s)


def blend_by_hardness(strong: Tensor, weak: Tensor, hardness: Tensor) -> Tensor:
    """``h * strong + (1 - h) * weak`` per image: hard images get a milder strong view.

    Args:
        strong (Tensor): ``(B, C, H, W)`` strong views (normalised, as the official code blends them).
        weak (Tensor): ``(B, C, H, W)`` weak views.
        hardness (Tensor): ``(B,)`` h in [0, 1].

    Returns:
        Tensor: ``(B, C, H, W)`` blended views.
    """
    return torch.lerp(weak, strong, hardness.to(weak.dtype).view(-1, 1, 1, 1))


def hardness_partners(hardness: Tensor) -> Tensor:
    """CutMix partners by mirrored hardness rank: the easiest image with the hardest, the 2nd with the 2nd, ...

    Image of rank k (ascending h) is paired with the image of rank ``B - 1 - k``; with an odd B the middle image is
    its own partner. Ties are ranked by index (stable sort; the official ``np.argsort`` leaves them unspecified).
    The pairing is an involution: applying it twice gives the identity.

    Args:
        hardness (Tensor): ``(B,)`` h.

    Returns:
        Tensor: ``(B,)`` int64, ``partners[i]`` is the image whose box image i receives.
    """
    order = torch.sort(hardness, stable=True).indices
    partners = torch.empty_like(order)
    partners[order] = order.flip(0)
    return partners


def sample_hardness_cutmix_boxes(rng: np.random.Generator,
                                 num: int,
                                 size: Tuple[int, int],
                                 box_range: Tuple[float, float] = (0.1, 0.9),
                                 centre_min_frac: float = 1 / 16) -> np.ndarray:
    """iMAS's CutMix boxes: one side ratio ``v ~ U(box_range)`` per batch, a box of ``int(v H) x int(v W)`` around
    a random centre per image (``rand_bbox_by_v``), clipped to the image.

    Args:
        rng (np.random.Generator): host random generator.
        num (int): B.
        size (tuple[int, int]): ``(H, W)``.
        box_range (tuple[float, float]): range of the box side as a fraction of the image side. Default: (0.1, 0.9).
        centre_min_frac (float): see :func:`~.cutmix.sample_boxes`. Default: 1/16 (official).

    Returns:
        np.ndarray: ``(B, 4)`` int64 boxes ``(top, left, bottom, right)``.
    """
    side = rng.uniform(*box_range)
    return sample_boxes(rng, num, size, (int(size[0] * side), int(size[1] * side)), centre_min_frac)


def hardness_cutmix(tensors: Sequence[Tensor], hardness: Tensor, boxes: Tensor) -> Tuple[Tensor, ...]:
    """Pastes into each image the box of its :func:`hardness_partners` partner, for aligned tensors.

    Args:
        tensors (Sequence[Tensor]): aligned ``(B, ..., H, W)`` tensors, e.g. weak views ``(B, C, H, W)``,
            pseudo-labels ``(B, H, W)`` and confidences ``(B, H, W)``.
        hardness (Tensor): ``(B,)`` h.
        boxes (Tensor): ``(B, 4)`` int64 boxes (:func:`sample_hardness_cutmix_boxes`); image i receives its
            partner's content inside ``boxes[i]``.

    Returns:
        tuple[Tensor]: the mixed tensors, new (the inputs are not modified).
    """
    partners = hardness_partners(hardness).to(tensors[0].device)
    mask = box_masks(boxes.to(tensors[0].device), tuple(tensors[0].shape[-2:]))
    return paste(tensors, [t[partners] for t in tensors], mask)
