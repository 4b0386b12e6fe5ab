"""Packing of one utterance into the model's ``inputs`` dict and an :class:`EmotionDataSample`."""
from typing import Sequence

import torch

from mmext.registry import TRANSFORMS
from ...structures import AFFECT_TARGETS, EmotionDataSample


@TRANSFORMS.register_module()
class PackMultiModalInputs:
    """``{'inputs': {key: tensor, '<key>_mask': tensor}, 'data_samples': EmotionDataSample}``.

    Args:
        keys (Sequence[str]): Modalities to pack; a ``<key>_mask`` in the results is packed too.
        meta_keys (Sequence[str]): Copied into the sample's metainfo when present.
    """

    def __init__(self,
                 keys: Sequence[str] = ('visual', 'audio', 'text'),
                 meta_keys: Sequence[str] = ('video', 'utterance', 'order_idx')) -> None:
        self.keys = tuple(keys)
        self.meta_keys = tuple(meta_keys)

    def __call__(self, results: dict) -> dict:
        inputs = {}
        for key in self.keys:
            if key not in results:
                raise KeyError(f'PackMultiModalInputs: no {key!r} in the results (have {sorted(results)}); load it '
                               'first (LoadCachedFeatures keys)')
            inputs[key] = torch.as_tensor(results[key], dtype=torch.float32)
            if f'{key}_mask' in results:
                inputs[f'{key}_mask'] = torch.as_tensor(results[f'{key}_mask'], dtype=torch.float32)
        sample = EmotionDataSample(metainfo={k: results[k] for k in self.meta_keys if k in results})
        for target in AFFECT_TARGETS:
            if f'gt_{target}' in results:
                sample.set_field(torch.tensor(results[f'gt_{target}'], dtype=torch.float32), f'gt_{target}')
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(keys={self.keys}, meta_keys={self.meta_keys})'
