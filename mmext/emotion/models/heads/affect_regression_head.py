"""Regression head of Deng et al. (arXiv 1805.00625): ``Dense(1024) -> ReLU -> BN -> Dropout(0.5) -> Dense(1)``
with a sigmoid for arousal and a tanh for valence ('normal' output init, authors' ``experiment/models.py``).

Shape shorthand: B = batch, D = fused features, T = targets.
"""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmext.registry import MODELS
from ...structures import EmotionDataSample
from ..utils import HiddenBlock, apply_activations, keras_dense, resolve_activations


@MODELS.register_module()
class AffectRegressionHead(BaseModule):
    """Predicts T affect dimensions from the fused features.

    Args:
        in_dim (int): D; the regressor fills it in from its fusion module.
        hidden_dim (int, optional): Width of the hidden block; None = a single linear layer (the late-fusion
            combiner ``Dense(1)``). Default: 1024.
        dropout (float): Of the hidden block. Default: 0.5.
        targets (Sequence[str]): ``'arousal'`` and/or ``'valence'``; the paper trains one model per target.
            Default: ``('arousal',)``.
        activations (Sequence[str], optional): Per target, of ``'sigmoid'``, ``'tanh'``, ``'identity'``; None =
            sigmoid for arousal, tanh for valence.
        output_init (str): ``'normal'`` (N(0, 0.05), the authors' decision layer) or ``'glorot_uniform'``.
        loss (dict): Loss config (``MSELoss``, the paper's, or ``CCCLoss``). Default: ``dict(type='MSELoss')``.
        loss_weights (Sequence[float], optional): Per-target weights of the summed loss; None = 1 each.
        bn_cfg (dict, optional): ``nn.BatchNorm1d`` keyword arguments; None = Keras' defaults.
        init_cfg (dict | list[dict], optional): MMEngine initialisation config.
    """

    def __init__(self,
                 in_dim: int,
                 hidden_dim: Optional[int] = 1024,
                 dropout: float = 0.5,
                 targets: Sequence[str] = ('arousal', ),
                 activations: Optional[Sequence[str]] = None,
                 output_init: str = 'normal',
                 loss: Dict = dict(type='MSELoss'),
                 loss_weights: Optional[Sequence[float]] = None,
                 bn_cfg: Optional[Dict] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.targets = tuple(targets)
        self.activations = resolve_activations(self.targets, activations)
        if loss_weights is not None and len(loss_weights) != len(self.targets):
            raise ValueError(f'loss_weights {tuple(loss_weights)} must give one weight per target {self.targets}')
        self.loss_weights = tuple(loss_weights) if loss_weights is not None else (1.0, ) * len(self.targets)
        self.hidden = nn.Identity() if hidden_dim is None else HiddenBlock(in_dim, hidden_dim, dropout, bn_cfg)
        self.output = keras_dense(in_dim if hidden_dim is None else hidden_dim, len(self.targets), init=output_init)
        self.loss_module = MODELS.build(loss)

    def forward(self, x: Tensor) -> Tensor:
        """(B, D) -> (B, T) predictions, each column through its target's activation."""
        return apply_activations(self.output(self.hidden(x)), self.activations)

    def loss(self, x: Tensor, data_samples: List[EmotionDataSample]) -> Dict[str, Tensor]:
        """Losses ``loss_<target>`` from the fused features (B, D) and the samples' ``gt_<target>``."""
        pred = self(x)
        losses = {}
        for t, (target, weight) in enumerate(zip(self.targets, self.loss_weights)):
            gt = torch.stack([_gt(sample, target) for sample in data_samples]).to(pred)
            losses[f'loss_{target}'] = weight * self.loss_module(pred[:, t], gt)
        return losses

    def predict(self, x: Tensor, data_samples: Optional[List[EmotionDataSample]] = None) -> List[EmotionDataSample]:
        """Fills ``pred_<target>`` (0-d tensors) into the samples (new ones when None) and returns them."""
        pred = self(x).detach()
        if data_samples is None:
            data_samples = [EmotionDataSample() for _ in range(pred.shape[0])]
        for sample, row in zip(data_samples, pred):
            for t, target in enumerate(self.targets):
                sample.set_field(row[t], f'pred_{target}')
        return data_samples


def _gt(sample: EmotionDataSample, target: str) -> Tensor:
    value = sample.get(f'gt_{target}')
    if value is None:
        raise KeyError(f'a training sample has no gt_{target}; the annotation file must have a {target!r} column')
    return torch.as_tensor(value, dtype=torch.float32)
