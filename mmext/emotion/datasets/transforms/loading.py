"""Loading of the per-utterance feature caches written by ``tools/emotion/extract_features.py``."""
import os.path as osp
from typing import Sequence

import numpy as np

from mmext.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadCachedFeatures:
    """Loads ``keys`` (and ``visual_mask``) from the ``.npz`` at ``results['feature_path']``.

    Adds ``results[key]``: ``visual`` float32 (T, D_v), ``audio`` float32 (D_a,), ``text`` float32 (D_t,),
    ``visual_mask`` float32 () (1 = a face was found).

    Args:
        keys (Sequence[str]): Arrays to load. Default: ``('visual', 'audio', 'text')``.
    """

    def __init__(self, keys: Sequence[str] = ('visual', 'audio', 'text')) -> None:
        self.keys = tuple(keys)

    def __call__(self, results: dict) -> dict:
        path = results['feature_path']
        if not osp.isfile(path):
            raise FileNotFoundError(f'feature cache {path} does not exist; run tools/emotion/extract_features.py')
        with np.load(path) as cache:
            missing = [key for key in self.keys if key not in cache.files]
            if missing:
                raise KeyError(f'{path} has no {missing} (it has {cache.files}); re-extract with those features')
            for key in self.keys:
                results[key] = cache[key].astype(np.float32)
            if 'visual' in self.keys:
                results['visual_mask'] = cache['visual_mask'].astype(np.float32)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(keys={self.keys})'
