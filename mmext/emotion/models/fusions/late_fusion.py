"""Late fusion of the authors' code (``trimodal_model_late_fusion``): every branch keeps its own decision layer
(``Dense(1)`` with sigmoid/tanh, 'normal' init), and a linear ``Dense(1)`` (the regressor's head with
``hidden_dim=None`` and ``activations=('identity',)``) combines the per-branch predictions.

Shape shorthand: B = batch, M = modalities, H_m = embedding width of modality m, T = targets.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmext.registry import MODELS
from ..utils import apply_activations, keras_dense, resolve_activations
from .concat_fusion import masked


@MODELS.register_module()
class LateFusion(BaseModule):
    """Per-modality decisions, concatenated: M x (B, H_m) -> (B, M * T).

    With several targets each branch predicts all T of them and the head's linear layer may mix them (the paper
    trains one model per target, T = 1).

    Args:
        in_dims (Sequence[int]): H_m of each modality.
        targets (Sequence[str]): ``'arousal'`` and/or ``'valence'``. Default: ``('arousal',)``.
        activations (Sequence[str], optional): Per target, of ``'sigmoid'``, ``'tanh'``, ``'identity'``; None =
            sigmoid for arousal, tanh for valence.
        init_cfg (dict | list[dict], optional): MMEngine initialisation config.
    """

    def __init__(self,
                 in_dims: Sequence[int],
                 targets: Sequence[str] = ('arousal', ),
                 activations: Optional[Sequence[str]] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not in_dims:
            raise ValueError('in_dims must list the embedding width of at least one modality')
        self.activations = resolve_activations(tuple(targets), activations)
        self.decisions = nn.ModuleList(keras_dense(d, len(self.activations), init='normal') for d in in_dims)
        self.out_dim = len(in_dims) * len(self.activations)

    def forward(self, feats: Sequence[Tensor], masks: Optional[Sequence[Optional[Tensor]]] = None) -> Tensor:
        """M x (B, H_m) and optional M x (B,) masks -> (B, M * T); a masked modality's decisions are 0."""
        if len(feats) != len(self.decisions):
            raise ValueError(f'LateFusion was built for {len(self.decisions)} modalities, got {len(feats)}')
        decisions = [apply_activations(layer(f), self.activations) for layer, f in zip(self.decisions, feats)]
        return torch.cat(masked(decisions, masks), dim=1)
