"""``KeptPixelCrossEntropyLoss``: mmseg's cross-entropy averaged over the pixels the head's sampler kept
(docs/augseg.md, section 7).

This module imports ``mmseg.models`` (and therefore mmdet): ``mmext.seg`` registers the class by name and imports
the module when a config builds the loss (``mmext/seg/models/deferred.py``).
"""
from typing import Optional

from mmseg.models.losses import CrossEntropyLoss
from torch import Tensor

from mmext.seg.models.utils.kept_pixels import kept_pixel_divisor


class KeptPixelCrossEntropyLoss(CrossEntropyLoss):
    """Softmax cross-entropy whose mean divides by the pixels a pixel sampler kept, as the official AugSeg and iMAS
    OHEM loss (``OhemCrossEntropy2dTensor``) does.

    mmseg's ``OHEMPixelSampler`` selects the same pixels as the official OHEM, but mmseg's ``CrossEntropyLoss`` then
    divides their summed loss by all labelled pixels (``avg_non_ignore=True``) or all pixels, which scales the
    supervised loss by kept / labelled (about 0.1 to 1 on Cityscapes) and shifts its balance with the unsupervised
    loss. With a sampler (``decode_head.sampler``) this loss divides by the number of kept pixels (with
    ``class_weight``, by the sum of their class weights, as torch's weighted mean); without one it is torch's mean
    over labelled pixels. An explicit ``avg_factor`` still wins.

    Args:
        use_sigmoid (bool): must be False (the kept-pixel mean is defined for the softmax loss).
        use_mask (bool): must be False.
        **kwargs: mmseg ``CrossEntropyLoss`` arguments (``loss_weight``, ``class_weight``, ``loss_name``, ...).
    """

    def __init__(self, use_sigmoid: bool = False, use_mask: bool = False, **kwargs):
        if use_sigmoid or use_mask:
            raise ValueError('KeptPixelCrossEntropyLoss is the softmax cross-entropy: set use_sigmoid=False and '
                             "use_mask=False, or use mmseg's CrossEntropyLoss")
        kwargs.setdefault('avg_non_ignore', True)  # unused (the divisor is computed here); silences mmseg's warning
        super().__init__(use_sigmoid=False, use_mask=False, **kwargs)

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor=None,
                reduction_override: Optional[str] = None,
                ignore_index: int = -100,
                **kwargs) -> Tensor:
        if avg_factor is None and (reduction_override or self.reduction) == 'mean':
            class_weight = None if self.class_weight is None else cls_score.new_tensor(self.class_weight)
            avg_factor = kept_pixel_divisor(label, weight, class_weight, ignore_index)
        return super().forward(cls_score, label, weight=weight, avg_factor=avg_factor,
                               reduction_override=reduction_override, ignore_index=ignore_index, **kwargs)
