"""Batches per-modality inputs (pattern of mmaction2's ``MultiModalDataPreprocessor``, written for mmext).

Shape shorthand: B = batch; a modality's per-sample shape is kept (visual (T, D), audio (D_a,), masks ()).
"""
from typing import Dict

import torch
from mmengine.model import BaseDataPreprocessor

from mmext.registry import MODELS


@MODELS.register_module()
class MultiModalDataPreprocessor(BaseDataPreprocessor):
    """Stacks every key of the ``inputs`` dict into a float tensor with a leading batch dimension, on the model's
    device; ``data_samples`` pass through (moved to the device).

    ``inputs`` may come as a dict of per-sample lists (mmengine's ``pseudo_collate``, the default) or of already
    stacked tensors (``default_collate``).
    """

    def forward(self, data: Dict, training: bool = False) -> Dict:
        inputs = data.get('inputs')
        if not isinstance(inputs, dict):
            raise TypeError('MultiModalDataPreprocessor expects data["inputs"] to be a dict of modality -> values '
                            f'(pack the samples with PackMultiModalInputs), got {type(inputs).__name__}')
        batched = {}
        for key, values in inputs.items():
            tensor = values if isinstance(values, torch.Tensor) else torch.stack([torch.as_tensor(v) for v in values])
            batched[key] = tensor.float()
        return self.cast_data(dict(inputs=batched, data_samples=data.get('data_samples')))
