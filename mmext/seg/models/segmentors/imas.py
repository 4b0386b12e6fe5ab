"""iMAS: mean teacher with instance-specific, model-adaptive supervision driven by a per-image hardness.

Zhao et al., "Instance-specific and Model-adaptive Supervision for Semi-supervised Semantic Segmentation", CVPR 2023
(arXiv 2211.11335); the step follows the official ``train_semi.py`` (ZhenZHAO/iMAS @ 96e57e0) with the flags of
every released training log, see ``docs/imas.md`` for the equations and every choice the paper leaves open.

Shape shorthand: N = unlabelled images per GPU, K = classes, H x W = crop size.
"""
import numbers
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from mmseg.registry import MODELS
from torch import Tensor

from mmext.seg.models.utils.hardness import (blend_by_hardness, hardness_cutmix, instance_hardness,
                                             sample_hardness_cutmix_boxes)
from mmext.seg.models.utils.pseudo_labels import PseudoLabels
from mmext.utils.validation import check_type
from .semi_base import SampleList, SemiBaseSegmentor

# The official strong augmentation (``imas/dataset/augmentations.py``): exactly 2 of 12 ops per image, with
# replacement (AugSeg's 11 plus invert), enhance factors in [0.1, 0.95].
IMAS_OPS = ('identity', 'autocontrast', 'equalize', 'invert', 'gaussian_blur', 'contrast', 'brightness', 'color',
            'sharpness', 'posterize', 'solarize', 'hue')
IMAS_STRONG_AUG = dict(
    type='RandomIntensityAug',
    ops=IMAS_OPS,
    max_ops=2,
    random_num_ops=False,
    ranges=dict(contrast=(0.1, 0.95), brightness=(0.1, 0.95), color=(0.1, 0.95), sharpness=(0.1, 0.95)))
CUTMIX_PROB_BY_HARDNESS = 'mean_hardness'


@MODELS.register_module()
class IMAS(SemiBaseSegmentor):
    """iMAS's unsupervised branch on :class:`SemiBaseSegmentor`.

    Per step, on the weak views ``x_w`` of the unlabelled batch:

    1. hardness: the student (in eval mode) and the teacher predict on ``x_w``; each image's
       ``h = (r_t wIoU_t + r_s wIoU_s) / 2`` (:func:`~mmext.seg.models.utils.instance_hardness`; larger = easier);
       the teacher's argmax and max probability are the pseudo-labels and their confidences;
    2. strong view: ``strong_aug`` (2 of 12 ops) on ``x_w``, each op's strength scaled by ``magnitude``, then
       blended ``x_s = h x_s + (1 - h) x_w`` (``blend_strong``);
    3. CutMix on the WEAK views with probability ``mean(h)``: one box side ``v ~ U(box_range)`` per batch, each image
       receives the box of its mirrored-hardness partner (easiest with hardest), with its pseudo-labels;
    4. ONE student forward on ``cat[x_l, x_w, x_cm, x_s]`` (``x_cm`` only when CutMix fired; ``x_w`` gets no loss
       and is forwarded for the batch-norm statistics, ``forward_weak_view``);
    5. ``L_u = mean_i h_i * mean_px CE`` on confident pseudo-labels (``weighted_loss``), averaged over the strong
       and CutMix views.

    Args:
        segmentor (dict): the mmseg segmentor config (student and teacher).
        semi_train_cfg (dict, optional): :class:`SemiBaseSegmentor`'s options, with iMAS's defaults
            ``unsup_weight=3.0`` and ``forward_weak_view=True`` (every released log), plus:

            - ``hardness`` (dict): ``class_weighted`` (weight the IoU by class frequency; default True) and
              ``background_index`` (class with weight 0; None for none; default 0), see
              :func:`~mmext.seg.models.utils.weighted_iou`.
            - ``weighted_loss`` (bool): multiply each image's pseudo-label loss by its h. Default: True.
            - ``blend_strong`` (bool): blend the strong view with the weak one by h. Default: True.
            - ``magnitude`` (float): scale of every op strength. Default: 0.999, the value the official data loader
              passes for every image.
            - ``adaptive_magnitude`` (bool): scale each image's op strengths by its h instead (easier images are
              distorted more), the per-instance distortion degree the paper describes (its exact form is not
              re-checked against the paper, see ``docs/imas.md``). The official release
              disables this path (its loader's hardness look-up is commented out and its module is missing);
              mmext uses the h of the current step. Default: False (the official behaviour).
            - ``cutmix`` (dict): ``prob`` (``'mean_hardness'``, the official hardness-gated trigger, or a fixed
              probability in [0, 1]; default ``'mean_hardness'``), ``box_range`` (box side as a fraction of the
              image side; default (0.1, 0.9)) and ``centre_min_frac`` (default 1/16).
        semi_test_cfg (dict, optional): see :class:`SemiBaseSegmentor`.
        strong_aug (dict, optional): Default: ``RandomIntensityAug`` with iMAS's 12 ops, 2 per image.
        data_preprocessor (dict, optional): see :class:`SemiBaseSegmentor`.
        init_cfg (dict | list[dict], optional): MMEngine initialisation config.

    Keyword arguments other than ``segmentor`` and ``strong_aug`` go to :class:`SemiBaseSegmentor`.
    """
    TRAIN_CFG_DEFAULTS: Dict = dict(
        SemiBaseSegmentor.TRAIN_CFG_DEFAULTS,
        unsup_weight=3.0,
        forward_weak_view=True,
        hardness=dict(class_weighted=True, background_index=0),
        weighted_loss=True,
        blend_strong=True,
        magnitude=0.999,
        adaptive_magnitude=False,
        cutmix=dict(prob=CUTMIX_PROB_BY_HARDNESS, box_range=(0.1, 0.9), centre_min_frac=1 / 16))

    def __init__(self, segmentor: Dict, strong_aug: Optional[Dict] = IMAS_STRONG_AUG, **kwargs) -> None:
        super().__init__(segmentor, strong_aug=strong_aug, **kwargs)
        cfg = self.semi_train_cfg
        check_unit_interval('semi_train_cfg.magnitude', cfg['magnitude'])
        prob = cfg['cutmix']['prob']
        if prob != CUTMIX_PROB_BY_HARDNESS:
            check_unit_interval('semi_train_cfg.cutmix.prob', prob, f' or {CUTMIX_PROB_BY_HARDNESS!r}')
        low, high = cfg['cutmix']['box_range']
        if not 0.0 < low <= high <= 1.0:
            raise ValueError(f'semi_train_cfg.cutmix.box_range must be (low, high) with 0 < low <= high <= 1, got '
                             f'{cfg["cutmix"]["box_range"]}')
        self._step_log: Dict[str, Tensor] = {}

    def loss(self, multi_batch_inputs: Dict[str, Tensor], multi_batch_data_samples: Dict[str, SampleList]) -> Dict:
        """:meth:`SemiBaseSegmentor.loss` plus the logged mean hardness ``unsup.hardness`` and whether CutMix fired,
        ``unsup.cutmix`` (1 or 0)."""
        losses = super().loss(multi_batch_inputs, multi_batch_data_samples)
        losses.update(self._step_log)
        return losses

    def unsup_views(self, sup_inputs: Tensor, sup_samples: SampleList, unsup_inputs: Tensor,
                    rng: np.random.Generator) -> Tuple[List[Tensor], List[Optional[PseudoLabels]]]:
        """Hardness, pseudo-labels, the blended strong view and the gated CutMix (see the class docstring)."""
        cfg = self.semi_train_cfg
        student_conf, student_label = self.eval_logits(self.student, unsup_inputs).softmax(dim=1).max(dim=1)
        teacher_probs = self.teacher_probs(unsup_inputs)
        conf, label = teacher_probs.max(dim=1)
        hardness = instance_hardness(student_label, student_conf, label, conf, teacher_probs.shape[1], cfg['tau'],
                                     **cfg['hardness'])
        magnitude = hardness if cfg['adaptive_magnitude'] else torch.full_like(hardness, cfg['magnitude'])
        strong = self.strong_view(unsup_inputs, rng, magnitude)
        if cfg['blend_strong']:
            strong = blend_by_hardness(strong, unsup_inputs, hardness)
        weight = hardness if cfg['weighted_loss'] else None
        views, targets = [strong], [PseudoLabels(label, conf, weight)]

        cutmix = cfg['cutmix']
        mean_hardness = float(hardness.mean())  # the gate is a host draw, as in the official code
        prob = mean_hardness if cutmix['prob'] == CUTMIX_PROB_BY_HARDNESS else cutmix['prob']
        fired = rng.random() < prob
        if fired:
            boxes = sample_hardness_cutmix_boxes(rng, unsup_inputs.shape[0], tuple(unsup_inputs.shape[-2:]),
                                                 cutmix['box_range'], cutmix['centre_min_frac'])
            mixed, mixed_label, mixed_conf = hardness_cutmix((unsup_inputs, label, conf), hardness,
                                                             torch.as_tensor(boxes))
            views.insert(0, mixed)
            targets.insert(0, PseudoLabels(mixed_label, mixed_conf, weight))
        if cfg['forward_weak_view']:
            views.insert(0, unsup_inputs)
            targets.insert(0, None)
        self._step_log = {'unsup.hardness': hardness.new_tensor(mean_hardness),
                          'unsup.cutmix': hardness.new_tensor(float(fired))}
        return views, targets


def check_unit_interval(name: str, value, also: str = '') -> None:
    """Raises ``TypeError``/``ValueError`` unless ``value`` is a real number in [0, 1]."""
    check_type(name, value, numbers.Real, f'a real number in [0, 1]{also}')
    if not 0.0 <= value <= 1.0:
        raise ValueError(f'{name} must be in [0, 1]{also}, got {value}')
