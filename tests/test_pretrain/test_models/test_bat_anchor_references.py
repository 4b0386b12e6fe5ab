"""BATViT's anchor modes against small independent re-implementations of the published algorithms.

- ``mode='tome'`` (with ToMe's own choices: keys as the metric, size-weighted means, proportional attention) against
  ToMe's bipartite soft matching (Bolya et al., ICLR 2023; facebookresearch/ToMe ``tome/merge.py``): A/B alternate
  over the whole sequence with the CLS token as A[0] (never merged), the r A tokens most similar to side B are
  merged into their best B token, and the output is ``[unmerged A tokens in position order, B tokens]``.
- ``mode='evit'`` against EViT (Liang et al., ICLR 2022; youweiliang/evit ``evit.py``): top-k of the head-averaged
  CLS attention (sorted by score) and one fused token, the CLS-attention-weighted *sum* of the rest.

The references below run a DeiT-S-shaped mmpretrain ViT layer by layer with explicit softmax attention and
per-sample Python loops for the token bookkeeping; they share no code with ``token_reduction.py``.
"""
import math

import pytest
import torch
from mmpretrain.registry import MODELS

TOL = 1e-5


def attention(layer, x, size=None):
    """Attention residual of an mmpretrain ``TransformerEncoderLayer`` with an explicit softmax.

    Returns the tokens after the residual [B, N, C], the attention [B, H, N, N] and the keys [B, H, N, d].
    """
    attn = layer.attn
    batch, num_tokens, channels = x.shape
    qkv = attn.qkv(layer.ln1(x)).reshape(batch, num_tokens, 3, attn.num_heads, -1).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    logits = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if size is not None:  # ToMe's proportional attention
        logits = logits + size.log()[:, None, None, :]
    weights = logits.softmax(dim=-1)
    out = attn.proj((weights @ v).transpose(1, 2).reshape(batch, num_tokens, channels))
    return x + out, weights, k


def embed(vit, images):
    x, _ = vit.patch_embed(images)
    x = torch.cat([vit.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + vit.pos_embed
    return vit.pre_norm(x)


def tome_merge_one(x, size, metric, r):
    """ToMe's bipartite soft matching + size-weighted merge of one sample: x [N, C], size [N], metric [N, c]."""
    unit = metric / metric.norm(dim=-1, keepdim=True)
    side_a, side_b = list(range(0, len(x), 2)), list(range(1, len(x), 2))
    similarity = unit[side_a] @ unit[side_b].T
    similarity[0] = -math.inf  # the CLS token (A[0]) is never merged
    best, dst = similarity.max(dim=-1)
    ranked = sorted(range(len(side_a)), key=lambda i: -float(best[i]))
    merged = set(ranked[:r])
    mass = x[side_b] * size[side_b, None]
    weight = size[side_b].clone()
    for i in ranked[:r]:
        mass[dst[i]] += x[side_a[i]] * size[side_a[i]]
        weight[dst[i]] += size[side_a[i]]
    unmerged = [side_a[i] for i in range(len(side_a)) if i not in merged]  # position order, CLS first
    return torch.cat([x[unmerged], mass / weight[:, None]]), torch.cat([size[unmerged], weight])


def tome_reference(vit, images, pairs_per_layer):
    """ToMe (proportional attention, keys averaged over heads as the metric) with ``pairs_per_layer[i]`` merges."""
    x = embed(vit, images)
    size = torch.ones(x.shape[:2])
    for layer, r in zip(vit.layers, pairs_per_layer):
        x, _, k = attention(layer, x, size)
        if r:
            r = min(r, (x.shape[1] - 1) // 2)
            merged = [tome_merge_one(x[b], size[b], k[b].mean(dim=0), r) for b in range(len(x))]
            x, size = torch.stack([m[0] for m in merged]), torch.stack([m[1] for m in merged])
        x = layer.ffn(layer.ln2(x), identity=x)
    return vit.ln1(x)


def evit_reference(vit, images, keep_rate, reduce_layers):
    """EViT with the fused token: top-k attentive tokens in descending score order, then the fused token."""
    x = embed(vit, images)
    for i, layer in enumerate(vit.layers):
        x, weights, _ = attention(layer, x)
        if i in reduce_layers:
            num_patches = x.shape[1] - 1
            left = math.ceil(keep_rate * num_patches)
            scores = weights[:, :, 0, 1:].mean(dim=1)
            rows = []
            for b in range(len(x)):
                top = scores[b].topk(left, sorted=True).indices.tolist()
                rest = sorted(set(range(num_patches)) - set(top))
                fused = (x[b, 1:][rest] * scores[b, rest, None]).sum(dim=0, keepdim=True)
                rows.append(torch.cat([x[b, :1], x[b, 1:][top], fused]))
            x = torch.stack(rows)
        x = layer.ffn(layer.ln2(x), identity=x)
    return vit.ln1(x)


@pytest.fixture(scope='module')
def deit_small_setup(randomize):
    deit = randomize(MODELS.build(dict(type='VisionTransformer', arch='deit-small')), seed=3)
    deit.eval()
    images = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(3))
    return deit, images


def build_bat(deit, **kwargs):
    model = MODELS.build(dict(type='BATViT', arch='deit-small', out_type='raw', **kwargs))
    model.load_state_dict(deit.state_dict(), strict=True)
    model.eval()  # mmpretrain's backbones return None from train()
    return model


TOME = dict(mode='tome', match_metric='k', merge_weight='size', prop_attn=True)


@pytest.mark.parametrize('keep_rate', [0.7, 0.5])
def test_tome_mode_equals_bipartite_soft_matching(deit_small_setup, keep_rate):
    """BAT's token budget at layers 3 / 6 / 9: r = n - ceil(keep_rate n) merges (58 / 41 / 29 at 0.7)."""
    deit, images = deit_small_setup
    model = build_bat(deit, keep_rate=keep_rate, **TOME)
    pairs, num_patches = [0] * 12, 196
    for i in (3, 6, 9):
        pairs[i] = num_patches - math.ceil(keep_rate * num_patches)
        num_patches -= pairs[i]
    with torch.no_grad():
        actual, expected = model(images)[0], tome_reference(deit, images, pairs)
    assert actual.shape == expected.shape == (1, 1 + num_patches, 384)
    assert torch.allclose(actual, expected, atol=TOL, rtol=0), (actual - expected).abs().max()


def test_tome_mode_equals_tome_r13_every_layer(deit_small_setup):
    """ToMe's published DeiT-S setting: r = 13 in every layer (197 -> 41 tokens)."""
    deit, images = deit_small_setup
    model = build_bat(deit, keep_rate=1.0, reduce_layers=tuple(range(12)), num_pairs=13, **TOME)
    with torch.no_grad():
        actual, expected = model(images)[0], tome_reference(deit, images, [13] * 12)
    assert actual.shape == expected.shape == (1, 197 - 12 * 13, 384)
    assert torch.allclose(actual, expected, atol=TOL, rtol=0), (actual - expected).abs().max()


@pytest.fixture(scope='module')
def evit_expected(deit_small_setup):
    """EViT reference outputs by keep rate, computed once."""
    deit, images = deit_small_setup
    with torch.no_grad():
        return {rate: evit_reference(deit, images, rate, (3, 6, 9)) for rate in (0.7, 0.5)}


@pytest.mark.parametrize('keep_rate,order', [(0.7, 'attention'), (0.5, 'attention'), (0.7, 'spatial')])
def test_evit_mode_equals_evit(deit_small_setup, evit_expected, keep_rate, order):
    """match_order='attention' keeps EViT's token order (descending CLS attention), so tokens compare one to one;
    the default spatial order is a permutation of the same tokens (same CLS token, same set)."""
    deit, images = deit_small_setup
    expected = evit_expected[keep_rate]
    with torch.no_grad():
        actual = build_bat(deit, keep_rate=keep_rate, mode='evit', match_order=order)(images)[0]
    # EViT's counts: 197 -> 140 -> 100 -> 72 (rho = 0.7), 197 -> 100 -> 52 -> 28 (rho = 0.5)
    assert actual.shape == expected.shape == (1, {0.7: 72, 0.5: 28}[keep_rate], 384)
    if order == 'spatial':
        project = torch.randn(384, generator=torch.Generator().manual_seed(0))
        actual, expected = (t[:, (t[0] @ project).argsort()] for t in (actual, expected))
    assert torch.allclose(actual, expected, atol=TOL, rtol=0), (actual - expected).abs().max()
