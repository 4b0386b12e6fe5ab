import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models.utils import build_2d_sincos_position_embedding
from mmpretrain.registry import MODELS

from mmext.pretrain.models.necks import CAEv2Neck


def random_mask(batch: int, num_patches: int, num_masked: int, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    order = torch.stack([torch.randperm(num_patches, generator=gen) for _ in range(batch)])
    return order < num_masked


def build(**kwargs) -> CAEv2Neck:
    cfg = dict(type='CAEv2Neck', in_dims=16, embed_dims=16, out_dims=8, regressor_depth=2, num_heads=2,
               drop_path_rate=0., num_patches=16)
    cfg.update(kwargs)
    neck = MODELS.build(cfg)
    neck.init_weights()
    return neck


def official_regressor_block(layer, x_q, x_kv, pos_q, pos_k):
    """The official CAE ``RegressorBlock`` + ``CrossAttention`` (Atten4Vis/CAE models/modeling_cae_helper.py),
    re-derived: q/v biases and a zero k bias, values without position, the norm replacing x before the MLP."""
    attn = layer.cross_attn
    heads = attn.num_heads

    def split(t):
        return t.reshape(t.shape[0], t.shape[1], heads, -1).transpose(1, 2)

    q = split(F.linear(layer.norm1_q_cross(x_q + pos_q), attn.q.weight, attn.q_bias))
    k = split(F.linear(layer.norm1_k_cross(x_kv + pos_k), attn.k.weight))
    v = split(F.linear(layer.norm1_v_cross(x_kv), attn.v.weight, attn.v_bias))
    weights = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(-1)
    out = attn.proj((weights @ v).transpose(1, 2).flatten(2))
    x = layer.norm2_cross(x_q + layer.gamma_1_cross * out)
    return x + layer.gamma_2_cross * layer.ffn(x)


def test_forward_matches_the_official_computation(randomize):
    neck = randomize(build(in_dims=24, embed_dims=16), seed=1).eval()
    mask = random_mask(3, 16, 5)
    x = torch.randn(3, 1 + 11, 24)
    pred_cls, pred_vis, pred_msk = neck(x, mask)

    z = neck.input_norm(neck.input_proj(x))  # Tiny: Linear(D, D_r) + LN
    pos = build_2d_sincos_position_embedding(4, 16)[0]
    pos_vis = torch.stack([pos[~m] for m in mask])
    pos_msk = torch.stack([pos[m] for m in mask])
    query = neck.mask_token.expand(3, 5, -1)
    for layer in neck.regressors:
        query = official_regressor_block(layer, query, torch.cat([z[:, 1:], query], 1), pos_msk,
                                         torch.cat([pos_vis, pos_msk], 1))
    expected = F.normalize(neck.head(neck.norm(torch.cat([z, query], 1))), dim=-1)
    torch.testing.assert_close(torch.cat([pred_cls, pred_vis, pred_msk], 1), expected)
    # One LayerNorm shared by the groups: applied per group equals applied to the concatenation.
    torch.testing.assert_close(pred_msk, F.normalize(neck.head(neck.norm(query)), dim=-1))


def test_shapes_projection_and_unit_norm():
    tiny, base = build(in_dims=32, embed_dims=16), build(in_dims=16, embed_dims=16)
    assert isinstance(tiny.input_proj, torch.nn.Linear) and tiny.input_proj.in_features == 32
    assert base.input_proj is None and base.input_norm is None
    mask = random_mask(2, 16, 6)
    outs = tiny(torch.randn(2, 11, 32), mask)
    assert [tuple(o.shape) for o in outs] == [(2, 1, 8), (2, 10, 8), (2, 6, 8)]
    for out in outs:
        torch.testing.assert_close(out.norm(dim=-1), torch.ones(out.shape[:2]))


def test_visible_predictions_ignore_the_regressor_and_masked_ones_use_the_context(randomize):
    neck = randomize(build(), seed=2)
    x = torch.randn(2, 1 + 12, 16, requires_grad=True)
    pred_cls, pred_vis, pred_msk = neck(x, random_mask(2, 16, 4))
    (pred_cls.sum() + pred_vis.sum()).backward(retain_graph=True)
    regressor = list(neck.regressors.parameters()) + [neck.mask_token]
    assert all(p.grad is None or not p.grad.any() for p in regressor)
    neck.zero_grad()
    x.grad = None
    pred_msk.sum().backward()
    assert x.grad[:, 1:].abs().sum(-1).gt(0).all()  # every visible latent informs the masked predictions
    assert all(p.grad is not None and p.grad.any() for p in neck.regressors[0].cross_attn.parameters())


def test_position_table_is_fixed_and_not_saved():
    neck = build(embed_dims=16)
    assert 'pos_embed' not in dict(neck.named_parameters()) and 'pos_embed' not in neck.state_dict()
    torch.testing.assert_close(neck.pos_embed, build_2d_sincos_position_embedding(4, 16)[0])


def test_official_initialisation():
    neck = build(in_dims=32, embed_dims=16)
    for name, module in neck.named_modules():
        if isinstance(module, torch.nn.Linear):
            bound = math.sqrt(6 / (module.in_features + module.out_features))
            assert module.weight.abs().max() <= bound, name
            assert module.bias is None or not module.bias.any(), name
        elif isinstance(module, torch.nn.LayerNorm):
            assert (module.weight == 1).all() and not module.bias.any(), name
    assert 0 < neck.mask_token.std() < 0.02 and neck.mask_token.abs().max() <= 0.02
    gammas = [p for n, p in neck.named_parameters() if 'gamma' in n]
    assert gammas and all((g == 0.1).all() for g in gammas)


def test_argument_errors():
    with pytest.raises(ValueError, match='square'):
        build(num_patches=15)
    with pytest.raises(ValueError, match='divisible'):
        build(embed_dims=18, num_heads=4)
    neck = build()
    with pytest.raises(ValueError, match='num_patches=16'):
        neck(torch.randn(1, 5, 16), torch.zeros(1, 9, dtype=torch.bool))
    with pytest.raises(ValueError, match='CLS \\+ 12 visible'):
        neck(torch.randn(1, 5, 16), random_mask(1, 16, 4))
