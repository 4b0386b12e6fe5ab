"""FLOPs of DeiT and BAT with mmext.utils.flops, checked against published numbers and a hand count."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from mmext.utils import count_flops, flop_analyzer

ARCHS = {'deit-tiny': (192, 3), 'deit-small': (384, 6)}


def analytic_macs(channels: int, keep_rate: float = 1.0, reduce_layers=(3, 6, 9), num_layers: int = 12) -> int:
    """Multiply-adds of a DeiT (mlp ratio 4, 224 / 16) with BAT's default Cn = r schedule, counted by hand.

    mmengine's conventions: linear/conv/matmul = multiply-adds, LayerNorm = 5 per element (4 without affine
    parameters), element-wise ops = 0. BAT adds the CLS-attention row (N C), the matching similarities
    (ceil(K/2) floor(K/2) C), the parameter-free LayerNorm of the tokens to cluster (4 M C) and the clustering
    distances (M^2 C) at each reducing layer.
    """
    c, tokens = channels, 197
    macs = 196 * 3 * 16 * 16 * c  # patch embedding
    for i in range(num_layers):
        out = tokens
        macs += 5 * tokens * c + tokens * c * 3 * c + 2 * tokens * tokens * c + tokens * c * c  # ln1, qkv, SDPA, proj
        if i in reduce_layers and keep_rate < 1:
            n = tokens - 1
            keep = math.ceil(keep_rate * n)
            inattentive = n - keep
            macs += tokens * c + math.ceil(keep / 2) * (keep // 2) * c + 4 * inattentive * c + inattentive**2 * c
            out = 1 + keep  # Cn = r
        macs += 5 * out * c + 2 * out * c * 4 * c  # ln2, fc1, fc2
        tokens = out
    return macs + 5 * tokens * c  # final norm


def backbone_flops(arch: str, **kwargs) -> int:
    model = MODELS.build(dict(type='BATViT' if kwargs else 'VisionTransformer', arch=arch, **kwargs))
    model.eval()
    return count_flops(model, (3, 224, 224))['flops']


@pytest.mark.parametrize('arch,published,bat_published,bat_tol', [
    ('deit-small', 4.6, 3.0, 0.01),  # BAT log: 3.00479 GMACs at rho = 0.7
    ('deit-tiny', 1.3, 0.8, 0.05),  # published to one decimal: BAT 0.8 G, DeiT-T 1.3 G
])
def test_deit_and_bat_gflops(arch, published, bat_published, bat_tol):
    deit = backbone_flops(arch)
    bat = backbone_flops(arch, keep_rate=0.7)
    print(f'\n{arch}: DeiT {deit / 1e9:.3f} GFLOPs, BAT rho=0.7 {bat / 1e9:.3f} GFLOPs')
    channels = ARCHS[arch][0]
    assert deit == analytic_macs(channels)
    assert bat == analytic_macs(channels, keep_rate=0.7)
    assert deit / 1e9 == pytest.approx(published, abs=0.05)
    assert bat / 1e9 == pytest.approx(bat_published, rel=bat_tol)


def test_sdpa_is_counted():
    """Without the extra handle mmengine counts 0 for F.scaled_dot_product_attention."""

    class Attention(torch.nn.Module):

        def forward(self, q, k, v):
            return F.scaled_dot_product_attention(q, k, v)

    q, k, v = torch.randn(2, 3, 5, 8), torch.randn(2, 3, 7, 8), torch.randn(2, 3, 7, 4)
    assert flop_analyzer(Attention(), (q, k, v)).total() == 2 * 3 * 5 * 7 * (8 + 4)


def test_count_flops_arguments():
    model = torch.nn.Linear(4, 3)
    result = count_flops(model, inputs=(torch.randn(2, 4), ))
    assert result['flops'] == 2 * 4 * 3 and result['params'] == 15 and result['params_str'] == '15'
    with pytest.raises(ValueError, match='input_shape'):
        count_flops(model)
