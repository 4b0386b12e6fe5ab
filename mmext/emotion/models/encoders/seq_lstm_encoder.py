"""Visual branch of Deng et al. (arXiv 1805.00625; authors' ``experiment/models.py``, ``visual_model``).

``(B, T, D) -> BN over D -> AvgPool1d(2) over T -> LSTM(64), last state -> ReLU -> BN -> Dropout(0.5)
-> Dense(256) -> ReLU -> BN -> Dropout(0.5) -> (B, 256)``. The paper feeds T = 20 frames of 4805-d face descriptors
(VGG-Face fc6 + OpenFace); mmext's offline default is a HOG descriptor per face crop.

Shape shorthand: B = batch, T = frames, D = per-frame features, T' = T // pool, H = ``out_dim``.
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmext.registry import MODELS
from ..utils import KERAS_BN, HiddenBlock, keras_lstm_init_


@MODELS.register_module()
class SeqLSTMEncoder(BaseModule):
    """Frame-sequence encoder: per-feature batch norm, temporal average pooling, an LSTM and a hidden block.

    Args:
        in_dim (int): D.
        pool (int): Temporal average-pooling window and stride (Keras ``AveragePooling1D(2)``: the tail frame of an
            odd T is dropped). 1 disables it. Default: 2.
        hidden (int): LSTM units. Default: 64.
        out_dim (int): H. Default: 256.
        dropout (float): After the LSTM and after the hidden Dense. Default: 0.5.
        bn_cfg (dict, optional): ``nn.BatchNorm1d`` keyword arguments; None = Keras' defaults.
        init_cfg (dict | list[dict], optional): MMEngine initialisation config; layers are already initialised
            like Keras' at construction.
    """

    def __init__(self,
                 in_dim: int,
                 pool: int = 2,
                 hidden: int = 64,
                 out_dim: int = 256,
                 dropout: float = 0.5,
                 bn_cfg: Optional[Dict] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if pool < 1:
            raise ValueError(f'pool must be at least 1 (1 = no pooling), got {pool}')
        bn_cfg = KERAS_BN if bn_cfg is None else bn_cfg
        self.out_dim = out_dim
        self.pool = pool
        self.in_dim = in_dim
        self.input_bn = nn.BatchNorm1d(in_dim, **bn_cfg)
        self.lstm = nn.LSTM(in_dim, hidden, batch_first=True)
        keras_lstm_init_(self.lstm)
        self.lstm_bn = nn.BatchNorm1d(hidden, **bn_cfg)
        self.lstm_dropout = nn.Dropout(dropout)
        self.hidden = HiddenBlock(hidden, out_dim, dropout, bn_cfg)

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, D) -> (B, H)."""
        if x.dim() != 3:
            raise ValueError(f'SeqLSTMEncoder expects (B, T, D) frame features, got shape {tuple(x.shape)}')
        if x.shape[1] < self.pool:
            raise ValueError(f'{x.shape[1]} frames are fewer than the pooling window {self.pool}')
        # Keras normalises and pools along the last axes of (B, T, D); torch wants the channels in dim 1.
        x = self.input_bn(x.transpose(1, 2))
        if self.pool > 1:
            x = F.avg_pool1d(x, self.pool)
        # Outside CPU autocast: oneDNN runs a bf16 LSTM only on CPUs with bf16 instructions (AVX512-BF16, AMX) and
        # fails on the others; this 64-unit LSTM is cheap in fp32. CUDA autocast (fp16 cuDNN LSTM) is unaffected.
        with torch.autocast(device_type='cpu', enabled=False):
            _, (h_last, _) = self.lstm(x.transpose(1, 2).float())
        x = self.lstm_dropout(self.lstm_bn(F.relu(h_last[-1])))
        return self.hidden(x)
