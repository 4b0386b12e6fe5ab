"""Layers and initialisers matching the Keras 2 defaults of the authors' model (Deng et al., arXiv 1805.00625).

The reference is Keras 2 / TensorFlow 1.5 (``experiment/models.py``). Its defaults, mapped to PyTorch (framework
knowledge, not stated in the paper; see ``docs/emotion.md``):

- ``BatchNormalization()``: momentum 0.99, epsilon 1e-3 -> ``nn.BatchNorm1d(momentum=0.01, eps=1e-3)``.
- ``Dense``: Glorot-uniform kernel, zero bias; ``kernel_initializer='normal'`` is N(0, 0.05).
- ``LSTM``: Glorot-uniform input kernel, orthogonal recurrent kernel, forget-gate bias 1 (``unit_forget_bias``),
  recurrent activation hard sigmoid (torch's LSTM uses the sigmoid: a remaining deviation).

Shape shorthand: B = batch, D = input features, H = output features.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmext.utils.validation import check_choice
from ...structures import AFFECT_TARGETS

KERAS_BN = dict(momentum=0.01, eps=1e-3)
KERAS_NORMAL_STD = 0.05


def keras_dense(in_features: int, out_features: int, init: str = 'glorot_uniform') -> nn.Linear:
    """``nn.Linear`` initialised like a Keras ``Dense`` (``init``: ``'glorot_uniform'`` or ``'normal'``)."""
    layer = nn.Linear(in_features, out_features)
    if init == 'glorot_uniform':
        nn.init.xavier_uniform_(layer.weight)
    elif init == 'normal':
        nn.init.normal_(layer.weight, 0.0, KERAS_NORMAL_STD)
    else:
        raise ValueError(f"init={init!r} is not supported; choose 'glorot_uniform' or 'normal'.")
    nn.init.zeros_(layer.bias)
    return layer


def keras_lstm_init_(lstm: nn.LSTM) -> None:
    """Re-initialises a one-layer ``nn.LSTM`` like Keras 2's ``LSTM`` (see the module docstring)."""
    hidden = lstm.hidden_size
    for name, param in lstm.named_parameters():
        if name.startswith('weight_ih'):
            nn.init.xavier_uniform_(param)
        elif name.startswith('weight_hh'):
            nn.init.orthogonal_(param)
        else:
            nn.init.zeros_(param)
            if name.startswith('bias_ih'):
                # torch orders the gates (input, forget, cell, output); Keras adds 1 to the forget gate's bias.
                param.data[hidden:2 * hidden] = 1.0


class HiddenBlock(nn.Sequential):
    """The authors' hidden block ``Dense(H) -> ReLU -> BN -> Dropout``: (B, D) -> (B, H).

    Args:
        in_features (int): D.
        out_features (int): H.
        dropout (float): Drop probability. Default: 0.5.
        bn_cfg (dict, optional): Keyword arguments of ``nn.BatchNorm1d``. Default: Keras' (momentum 0.01 in torch's
            convention, eps 1e-3).
    """

    def __init__(self, in_features: int, out_features: int, dropout: float = 0.5,
                 bn_cfg: Optional[Dict] = None) -> None:
        super().__init__(
            keras_dense(in_features, out_features), nn.ReLU(inplace=True),
            nn.BatchNorm1d(out_features, **(KERAS_BN if bn_cfg is None else bn_cfg)), nn.Dropout(dropout))


# The authors' decision layers: sigmoid for arousal in [0, 1], tanh for valence in [-1, 1].
DEFAULT_ACTIVATIONS = {'arousal': 'sigmoid', 'valence': 'tanh'}
OUTPUT_ACTIVATIONS = {'sigmoid': torch.sigmoid, 'tanh': torch.tanh, 'identity': lambda x: x}


def resolve_activations(targets: Sequence[str], activations: Optional[Sequence[str]]) -> Tuple[str, ...]:
    """One output activation per target: the given ones (checked), or the defaults of :data:`DEFAULT_ACTIVATIONS`."""
    for target in targets:
        check_choice('targets', target, AFFECT_TARGETS)
    if len(set(targets)) != len(targets) or not targets:
        raise ValueError(f'targets must be a non-empty list of distinct names from {AFFECT_TARGETS}, got {targets}')
    if activations is None:
        return tuple(DEFAULT_ACTIVATIONS[t] for t in targets)
    if len(activations) != len(targets):
        raise ValueError(f'activations {tuple(activations)} must give one activation per target {tuple(targets)}')
    for act in activations:
        check_choice('activations', act, tuple(OUTPUT_ACTIVATIONS))
    return tuple(activations)


def apply_activations(x: Tensor, activations: Sequence[str]) -> Tensor:
    """Applies ``activations[t]`` to column t of ``x`` (B, T) and returns (B, T)."""
    return torch.stack([OUTPUT_ACTIVATIONS[act](x[:, t]) for t, act in enumerate(activations)], dim=1)
