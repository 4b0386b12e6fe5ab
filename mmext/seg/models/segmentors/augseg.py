"""AugSeg: mean teacher + random intensity augmentation + adaptive label-injecting CutMix.

Zhao et al., "Augmentation Matters: A Simple-yet-Effective Approach to Semi-supervised Semantic Segmentation",
CVPR 2023 (arXiv 2212.04976); the step follows the official ``train_semi.py`` (ZhenZHAO/AugSeg @ 7ead870), see
``docs/augseg.md`` for the equations and every choice the paper leaves open.

Shape shorthand: N = labelled = unlabelled images per GPU, K = classes, H x W = crop size.
"""
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from mmseg.registry import MODELS
from torch import Tensor

from mmext.seg.models.utils.cutmix import adaptive_label_injecting_cutmix, sample_adaptive_cutmix
from mmext.seg.models.utils.pseudo_labels import PseudoLabels, teacher_confidence
from .semi_base import SampleList, SemiBaseSegmentor

# The official strong augmentation: 1-3 of the 11 ops per image, with replacement.
AUGSEG_STRONG_AUG = dict(type='RandomIntensityAug', max_ops=3, random_num_ops=True)


@MODELS.register_module()
class AugSeg(SemiBaseSegmentor):
    """AugSeg's unsupervised branch on :class:`SemiBaseSegmentor`.

    Per step, on the unlabelled batch: teacher probabilities on the weak view give pseudo-labels, confidences and
    the per-image confidence ``rho = mean((1 - normalised entropy) * max prob)``; the strong view is the weak view
    after ``strong_aug`` (AugSeg's 1-3 random intensity ops); an adaptive CutMix pastes labelled boxes (with their
    ground truth, confidence 1) into images with probability ``1 - rho`` and then CutMixes the unlabelled batch
    (:func:`~mmext.seg.models.utils.adaptive_label_injecting_cutmix`); the student learns the pseudo-labels of the
    mixed strong view where their confidence is >= ``tau``, with the loss averaged over all pixels.

    Args:
        segmentor (dict): the mmseg segmentor config (student and teacher).
        semi_train_cfg (dict, optional): :class:`SemiBaseSegmentor`'s options plus ``cutmix``, a dict of
            ``beta_l`` (Beta parameters of the labelled box's lam; default (8, 2): about 20% of the area),
            ``beta_u`` (the unlabelled box's; default (4, 4): about 50%) and ``centre_min_frac`` (box centres are
            drawn from ``[frac * side, side)``; default 1/8), all as in the official code.
        semi_test_cfg (dict, optional): see :class:`SemiBaseSegmentor`.
        strong_aug (dict, optional): Default: ``RandomIntensityAug`` with AugSeg's 11 ops, 1-3 per image.
        data_preprocessor (dict, optional): see :class:`SemiBaseSegmentor`.
        init_cfg (dict | list[dict], optional): MMEngine initialisation config.
    """
    TRAIN_CFG_DEFAULTS: Dict = dict(
        SemiBaseSegmentor.TRAIN_CFG_DEFAULTS, cutmix=dict(beta_l=(8.0, 2.0), beta_u=(4.0, 4.0), centre_min_frac=1 / 8))

    def __init__(self,
                 segmentor: Dict,
                 semi_train_cfg: Optional[Dict] = None,
                 semi_test_cfg: Optional[Dict] = None,
                 strong_aug: Optional[Dict] = AUGSEG_STRONG_AUG,
                 data_preprocessor: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(segmentor, semi_train_cfg, semi_test_cfg, strong_aug, data_preprocessor, init_cfg)

    def unsup_views(self, sup_inputs: Tensor, sup_samples: SampleList, unsup_inputs: Tensor,
                    rng: np.random.Generator) -> Tuple[List[Tensor], List[Optional[PseudoLabels]]]:
        """Teacher pseudo-labels, the strong view and the adaptive CutMix (see the class docstring)."""
        conf, label, rho = teacher_confidence(self.teacher_probs(unsup_inputs))
        strong = self.strong_view(unsup_inputs, rng)
        sup_label = torch.stack([sample.gt_sem_seg.data[0] for sample in sup_samples]).long()
        cutmix = self.semi_train_cfg['cutmix']
        draw = sample_adaptive_cutmix(rng, unsup_inputs.shape[0], tuple(unsup_inputs.shape[-2:]), **cutmix)
        strong, label, conf = adaptive_label_injecting_cutmix(strong, label, conf, sup_inputs, sup_label, rho, draw)
        target = PseudoLabels(label, conf)
        if self.semi_train_cfg['forward_weak_view']:
            return [unsup_inputs, strong], [None, target]
        return [strong], [target]
