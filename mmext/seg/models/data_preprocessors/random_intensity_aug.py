"""AugSeg's random intensity augmentation as a batch augmentation module (the strong view of unlabelled images)."""
import numbers
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from mmext.seg.models.utils.intensity_aug import (AUGSEG_OPS, AUGSEG_RANGES, apply_intensity_ops, check_ops,
                                                  sample_intensity_ops)
from mmext.utils.validation import check_type


@MODELS.register_module()
class RandomIntensityAug(nn.Module):
    """Random-count, random-strength intensity ops on a batch of RGB images (AugSeg's strong augmentation).

    Each image draws ``n ~ U{1..max_ops}`` ops (``random_num_ops=True``; otherwise exactly ``max_ops``) from ``ops``
    with replacement and applies them in draw order, each with its own strength ``u ~ U(0, 1)``, mapped into the
    op's parameter range (see :func:`~mmext.seg.models.utils.intensity_aug.op_values`). The ops reproduce PIL's
    (``ImageOps``, ``ImageEnhance``, ``GaussianBlur``) as in the official code (ZhenZHAO/AugSeg,
    ``augseg/dataset/augs_TIBA.py``, ``strong_img_aug``), but on the whole batch at once, on its device.

    Args:
        ops (Sequence[str]): op names, from :data:`~mmext.seg.models.utils.intensity_aug.INTENSITY_OPS`. Default:
            AugSeg's 11 ops (identity, autocontrast, equalize, gaussian_blur, contrast, brightness, color, sharpness,
            posterize, solarize, hue); ``'invert'`` is also available (iMAS adds it).
        max_ops (int): the most ops per image. Default: 3.
        random_num_ops (bool): draw the op count per image in 1..max_ops. Default: True.
        ranges (dict, optional): ``{op: (lo, hi)}`` overriding AugSeg's parameter ranges (contrast, brightness,
            color, sharpness (0.05, 0.95); gaussian_blur (0.1, 2.0); posterize (4, 8); solarize (1, 256);
            hue (0, 0.5)).
    """

    def __init__(self,
                 ops: Sequence[str] = AUGSEG_OPS,
                 max_ops: int = 3,
                 random_num_ops: bool = True,
                 ranges: Optional[Dict[str, Tuple[float, float]]] = None) -> None:
        super().__init__()
        check_type('max_ops', max_ops, numbers.Integral, 'a positive int')
        if max_ops < 1:
            raise ValueError(f'max_ops must be at least 1, got {max_ops}')
        self.ops = tuple(ops)
        self.max_ops = int(max_ops)
        self.random_num_ops = bool(random_num_ops)
        self.ranges = {**AUGSEG_RANGES, **(ranges or {})}
        check_ops(self.ops, self.ranges)

    def forward(self,
                pixels: Tensor,
                rng: np.random.Generator,
                magnitude: Optional[Union[Tensor, np.ndarray]] = None) -> Tensor:
        """Augments a batch.

        Args:
            pixels (Tensor): ``(N, 3, H, W)`` RGB values on the uint8 grid (float).
            rng (np.random.Generator): host random generator for the op draws.
            magnitude (Tensor | np.ndarray, optional): ``(N,)`` factors in [0, 1] that scale every strength of an
                image (a model-adaptive strength, as iMAS's paper describes); None leaves strengths as drawn.

        Returns:
            Tensor: ``(N, 3, H, W)`` augmented RGB values on the uint8 grid.
        """
        draws = sample_intensity_ops(rng, pixels.shape[0], len(self.ops), self.max_ops, self.random_num_ops)
        if magnitude is not None:
            scale = magnitude.detach().cpu().numpy() if torch.is_tensor(magnitude) else np.asarray(magnitude)
            draws = draws._replace(strengths=draws.strengths * scale.reshape(-1, 1))
        return apply_intensity_ops(pixels, draws, self.ops, self.ranges)

    def extra_repr(self) -> str:
        return f'ops={self.ops}, max_ops={self.max_ops}, random_num_ops={self.random_num_ops}'
