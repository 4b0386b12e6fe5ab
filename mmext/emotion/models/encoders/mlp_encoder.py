"""Audio and text branches of Deng et al. (arXiv 1805.00625): ``BN -> Dense(256) -> ReLU -> BN -> Dropout(0.5)``.

Shape shorthand: B = batch, D = input features (audio functionals or lexicon counts), H = ``out_dim``.
"""
from typing import Dict, Optional

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmext.registry import MODELS
from ..utils import KERAS_BN, HiddenBlock


@MODELS.register_module()
class MLPEncoder(BaseModule):
    """Utterance-vector encoder: input batch norm, then one hidden block.

    Args:
        in_dim (int): D (1582 for openSMILE IS10, 482 for mmext's numpy functionals, 14 for three lexicons).
        out_dim (int): H. Default: 256.
        dropout (float): Default: 0.5.
        bn_cfg (dict, optional): ``nn.BatchNorm1d`` keyword arguments; None = Keras' defaults.
        init_cfg (dict | list[dict], optional): MMEngine initialisation config; layers are already initialised
            like Keras' at construction.
    """

    def __init__(self, in_dim: int, out_dim: int = 256, dropout: float = 0.5, bn_cfg: Optional[Dict] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_dim, self.out_dim = in_dim, out_dim
        self.input_bn = nn.BatchNorm1d(in_dim, **(KERAS_BN if bn_cfg is None else bn_cfg))
        self.hidden = HiddenBlock(in_dim, out_dim, dropout, bn_cfg)

    def forward(self, x: Tensor) -> Tensor:
        """(B, D) -> (B, H)."""
        if x.dim() != 2:
            raise ValueError(f'MLPEncoder expects (B, D) inputs, got shape {tuple(x.shape)}')
        return self.hidden(self.input_bn(x))
