"""Min-max scaling per feature dimension with statistics fitted on the training split (Deng et al., arXiv
1805.00625, authors' ``experiment/data.py``)."""
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np

from mmext.registry import TRANSFORMS


def fit_min_max(arrays: Sequence[np.ndarray]) -> Dict[str, np.ndarray]:
    """Per-dimension ``min`` and ``max`` over a list of arrays that share their last dimension D.

    Args:
        arrays (Sequence[np.ndarray]): Arrays of shape (..., D) (e.g. (T, D) frames or (D,) vectors).

    Returns:
        dict: ``min`` and ``max``, float32 arrays of shape (D,).
    """
    if not arrays:
        raise ValueError('no arrays to fit min-max statistics on')
    flat = np.concatenate([np.asarray(a, np.float32).reshape(-1, np.shape(a)[-1]) for a in arrays])
    return dict(min=flat.min(0), max=flat.max(0))


def apply_min_max(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, clip: bool = False) -> np.ndarray:
    """``(x - lo) / (hi - lo)`` per last-axis dimension; constant dimensions (hi == lo) map to ``x - lo``.

    Values outside the fitted range fall outside [0, 1] unless ``clip``.
    """
    span = hi - lo
    out = (x - lo) / np.where(span > 0, span, 1.0)
    if clip:
        out = np.clip(out, 0.0, 1.0)
    return out.astype(np.float32)


@TRANSFORMS.register_module()
class MinMaxNormalize:
    """Scales ``keys`` with the training split's per-dimension min and max.

    Args:
        stats_file (str): ``.npz`` with ``<key>_min`` / ``<key>_max`` arrays (written by
            ``tools/emotion/extract_features.py --fit-stats`` on the training split).
        keys (Sequence[str]): Default: ``('visual', 'audio', 'text')``.
        clip (bool): Clip to [0, 1] (the authors do not). Default: False.
    """

    def __init__(self, stats_file: str, keys: Sequence[str] = ('visual', 'audio', 'text'),
                 clip: bool = False) -> None:
        self.stats_file = stats_file
        self.keys = tuple(keys)
        self.clip = clip
        self._stats: Optional[Dict[str, np.ndarray]] = None

    def _load(self) -> Dict[str, np.ndarray]:
        if self._stats is None:
            if not osp.isfile(self.stats_file):
                raise FileNotFoundError(f'min-max statistics {self.stats_file} do not exist; run '
                                        'tools/emotion/extract_features.py CONFIG --split train --fit-stats')
            with np.load(self.stats_file) as stats:
                self._stats = {name: stats[name] for name in stats.files}
        return self._stats

    def __call__(self, results: dict) -> dict:
        stats = self._load()
        for key in self.keys:
            if f'{key}_min' not in stats:
                raise KeyError(f'{self.stats_file} has no statistics of {key!r}; refit them with --fit-stats')
            dims, fitted = np.shape(results[key])[-1], stats[f'{key}_min'].shape[-1]
            if dims != fitted:
                raise ValueError(
                    f"{results.get('feature_path', 'a sample')}: {key} has {dims} dimensions but {self.stats_file} "
                    f'was fitted on {fitted} (features of another extractor); refit the statistics on the current '
                    'cache: python tools/emotion/extract_features.py CONFIG --split train --fit-stats')
            results[key] = apply_min_max(results[key], stats[f'{key}_min'], stats[f'{key}_max'], self.clip)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(stats_file={self.stats_file!r}, keys={self.keys}, clip={self.clip})'
