from .cutmix import (AdaptiveCutMixDraw, adaptive_label_injecting_cutmix, beta_cut_size, box_masks, paste,
                     sample_adaptive_cutmix, sample_boxes)
from .hardness import (blend_by_hardness, hardness_cutmix, hardness_partners, instance_hardness,
                       sample_hardness_cutmix_boxes, weighted_iou)
from .intensity_aug import (AUGSEG_OPS, AUGSEG_RANGES, INTENSITY_OPS, IntensityOps, apply_intensity_ops, check_ops,
                            op_values, sample_intensity_ops)
from .kept_pixels import kept_pixel_divisor
from .pseudo_labels import PseudoLabels, pseudo_label_loss, teacher_confidence

__all__ = [
    'AdaptiveCutMixDraw', 'adaptive_label_injecting_cutmix', 'beta_cut_size', 'box_masks', 'paste',
    'sample_adaptive_cutmix', 'sample_boxes', 'blend_by_hardness', 'hardness_cutmix', 'hardness_partners',
    'instance_hardness', 'sample_hardness_cutmix_boxes', 'weighted_iou', 'AUGSEG_OPS', 'AUGSEG_RANGES',
    'INTENSITY_OPS', 'IntensityOps', 'apply_intensity_ops', 'check_ops', 'op_values', 'sample_intensity_ops',
    'kept_pixel_divisor', 'PseudoLabels', 'pseudo_label_loss', 'teacher_confidence'
]
