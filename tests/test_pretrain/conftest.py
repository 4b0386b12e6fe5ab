import pytest
import torch
from mmengine.registry import init_default_scope

import mmext.pretrain  # noqa: F401  (registers BATViT)


@pytest.fixture(scope='session', autouse=True)
def mmpretrain_scope():
    init_default_scope('mmpretrain')


@pytest.fixture(scope='session')
def tiny_arch() -> dict:
    """A narrow 12-layer ViT arch: DeiT's 224 / 16 token grid and token counts at a fraction of DeiT-S's cost."""
    return dict(embed_dims=48, num_layers=12, num_heads=3, feedforward_channels=96)


def _randomize(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=gen)
            is_norm_scale = name.endswith('weight') and param.dim() == 1
            param.copy_(1 + 0.1 * noise if is_norm_scale else 0.05 * noise)
    return model


@pytest.fixture(scope='session')
def randomize():
    """``randomize(model, seed=0)``: random weights without ``init_weights``'s logging; norm scales near 1."""
    return _randomize
