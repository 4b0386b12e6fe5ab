"""Loading of the per-utterance feature caches written by ``tools/emotion/extract_features.py``."""
import os.path as osp
import zipfile
import zlib
from typing import Dict, Optional, Sequence

import numpy as np

from mmext.registry import TRANSFORMS

EXTRACT_COMMAND = 'python tools/emotion/extract_features.py CONFIG --split train|val|test'


class FeatureCacheError(RuntimeError):
    """A feature cache file exists but cannot be read (truncated or overwritten); the message names the file and the
    command that rebuilds it."""


def read_feature_cache(path: str, keys: Optional[Sequence[str]] = None) -> Dict[str, np.ndarray]:
    """The arrays of one ``.npz`` feature cache (only ``keys`` when given; absent keys are left out).

    Raises:
        FileNotFoundError: when there is no cache at ``path``.
        FeatureCacheError: when the file is not a readable ``.npz``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'feature cache {path} does not exist; run {EXTRACT_COMMAND}')
    try:
        with np.load(path) as cache:
            return {key: cache[key] for key in cache.files if keys is None or key in keys}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise FeatureCacheError(f'{path} is not a readable feature cache ({type(err).__name__}: {err}); delete it '
                                f'and rebuild it with {EXTRACT_COMMAND} (only missing caches are extracted)') from None


@TRANSFORMS.register_module()
class LoadCachedFeatures:
    """Loads ``keys`` and the masks of the modalities that can be missing from the ``.npz`` at
    ``results['feature_path']``.

    Adds ``results[key]``: ``visual`` float32 (T, D_v), ``audio`` float32 (D_a,), ``text`` float32 (D_t,), and
    ``<key>_mask`` float32 () for each key of ``mask_keys`` (1 = present: ``visual_mask`` 0 = no face was found,
    ``audio_mask`` 0 = silent or too short to describe). A cache without a key's mask (written before audio masks
    existed) counts as present, so every sample of a batch carries the same inputs.

    Args:
        keys (Sequence[str]): Arrays to load. Default: ``('visual', 'audio', 'text')``.
        mask_keys (Sequence[str]): Modalities with a mask. Default: ``('visual', 'audio')``.
    """

    def __init__(self, keys: Sequence[str] = ('visual', 'audio', 'text'),
                 mask_keys: Sequence[str] = ('visual', 'audio')) -> None:
        self.keys = tuple(keys)
        self.mask_keys = tuple(mask_keys)

    def __call__(self, results: dict) -> dict:
        path = results['feature_path']
        cache = read_feature_cache(path)
        missing = [key for key in self.keys if key not in cache]
        if missing:
            raise KeyError(f'{path} has no {missing} (it has {sorted(cache)}); re-extract with those features')
        for key in self.keys:
            results[key] = cache[key].astype(np.float32)
            if key in self.mask_keys:
                results[f'{key}_mask'] = np.float32(cache.get(f'{key}_mask', 1.0))
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(keys={self.keys}, mask_keys={self.mask_keys})'
