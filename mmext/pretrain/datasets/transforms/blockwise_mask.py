"""Block-wise masking with an exact number of masked patches (BEiT's generator, as used by CAE and CAE v2).

Bao et al., "BEiT", ICLR 2022 (microsoft/unilm ``beit/masking_generator.py``), as copied into Atten4Vis/CAE
``furnace/masking_generator.py``: rectangles of random area (at least ``min_num_patches``, at most what is left) and
aspect ratio (log-uniform in [min_aspect, max_aspect]) are placed at random until exactly ``num_masking_patches``
patches are masked; a rectangle is kept only if it adds between 1 and "what is left" new patches.

mmpretrain's :class:`~mmpretrain.datasets.transforms.BEiTMaskGenerator` draws the top-left corner with
``np.random.randint(0, H - h)``, whose upper end is exclusive (the reference uses Python's inclusive
``random.randint``): its rectangles never reach the last row or column, so those patches are never masked (on a 2 x 2
grid only one patch can ever be masked). :func:`blockwise_mask` draws the corner over all valid positions.
"""
import math
from typing import Optional, Tuple

import numpy as np
from mmpretrain.datasets.transforms import BEiTMaskGenerator
from mmpretrain.registry import TRANSFORMS

MAX_ROUNDS = 100000


def check_mask_size(height: int, width: int, num_masked: int) -> None:
    """Raise ``ValueError`` unless ``num_masked`` block-masked patches fit on a ``height`` x ``width`` grid."""
    if not 0 <= num_masked <= height * width:
        raise ValueError(f'num_masking_patches={num_masked} must lie in [0, {height * width}] for a {height} x '
                         f'{width} grid.')
    if num_masked and (height < 2 or width < 2):
        raise ValueError(f'block-wise masking needs a grid of at least 2 x 2 (rectangles are narrower than the '
                         f'grid), got {height} x {width}.')


def blockwise_mask(height: int,
                   width: int,
                   num_masked: int,
                   min_num_patches: int = 16,
                   max_num_patches: Optional[int] = None,
                   log_aspect_ratio: Tuple[float, float] = (math.log(0.3), math.log(1 / 0.3)),
                   rng=np.random) -> np.ndarray:
    """A block-wise mask of exactly ``num_masked`` patches.

    Args:
        height (int): grid rows h.
        width (int): grid columns w.
        num_masked (int): patches to mask, in [0, h * w].
        min_num_patches (int): smallest rectangle area drawn (the last rectangle may add fewer new patches).
            Default: 16 (CAE).
        max_num_patches (int, optional): largest area one rectangle may add; None = ``num_masked``.
        log_aspect_ratio (tuple[float, float]): range of log(height / width) of a rectangle.
        rng: a ``numpy.random.RandomState`` or the ``numpy.random`` module (default; seeded per dataloader worker
            by mmengine).

    Returns:
        np.ndarray: bool, [h, w], True where masked; exactly ``num_masked`` True.
    """
    check_mask_size(height, width, num_masked)
    max_num_patches = num_masked if max_num_patches is None else max_num_patches
    mask = np.zeros((height, width), dtype=bool)
    count = 0
    for _ in range(MAX_ROUNDS):
        if count == num_masked:
            return mask
        # Ten tries per round, as in the reference; a round that adds nothing is simply repeated.
        budget = min(num_masked - count, max_num_patches)
        for _ in range(10):
            area = rng.uniform(min_num_patches, budget)
            aspect = math.exp(rng.uniform(*log_aspect_ratio))
            h, w = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
            if not (0 < h < height and 0 < w < width):
                continue
            top, left = rng.randint(0, height - h + 1), rng.randint(0, width - w + 1)
            block = mask[top:top + h, left:left + w]
            added = h * w - int(block.sum())
            if 0 < added <= budget:
                block[...] = True
                count += added
                break
    raise RuntimeError(f'no {num_masked}-patch block mask found on a {height} x {width} grid after {MAX_ROUNDS} '
                       f'rounds (min_num_patches={min_num_patches}, max_num_patches={max_num_patches}).')


@TRANSFORMS.register_module()
class BlockwiseMaskGenerator(BEiTMaskGenerator):
    """:class:`BEiTMaskGenerator` whose rectangles can reach every patch (see the module docstring).

    Same arguments and output key as the parent: ``results['mask']``, bool [h, w], exactly
    ``num_masking_patches`` True. CAE v2 masks 30 / 49 / 98 of 196 patches (Tiny / Small / Base) with
    ``min_num_patches=16``.

    Args:
        input_size (int | tuple[int, int]): patch grid (h, w).
        num_masking_patches (int): patches to mask per image.
        min_num_patches (int): smallest rectangle area. Default: 4 (BEiT; CAE uses 16).
        max_num_patches (int, optional): largest area one rectangle may add; None = ``num_masking_patches``.
        min_aspect (float): smallest rectangle aspect ratio. Default: 0.3.
        max_aspect (float, optional): largest aspect ratio; None = ``1 / min_aspect``.
    """

    def __init__(self,
                 input_size,
                 num_masking_patches: int,
                 min_num_patches: int = 4,
                 max_num_patches: Optional[int] = None,
                 min_aspect: float = 0.3,
                 max_aspect: Optional[float] = None) -> None:
        super().__init__(input_size, num_masking_patches, min_num_patches, max_num_patches, min_aspect, max_aspect)
        check_mask_size(self.height, self.width, num_masking_patches)  # at build time, not in a worker

    def transform(self, results: dict) -> dict:
        """Add ``results['mask']``, bool [h, w]."""
        results['mask'] = blockwise_mask(self.height, self.width, self.num_masking_patches, self.min_num_patches,
                                         self.max_num_patches, self.log_aspect_ratio)
        return results
