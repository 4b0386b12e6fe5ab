"""One full BAT reduction step against an independent float64 oracle, for every variant of the step.

The oracle below is written from the equations of ``docs/bat.md`` with Python loops over one sample; it shares no
code with ``token_reduction.py``. On a small explicit case (CLS + 14 patch tokens, 4 channels, 2 heads; 7 attentive
tokens with 3 matched pairs and 7 inattentive tokens in 3 clusters) every variant (CLS-attention head reduction,
matching metric, merge weights, DPC density / k / delta, clustering features, distance scale) changes the merged
tokens, and the implementation follows the oracle in each. The DPC definitions are also checked on a
1-D point set whose answers are derived by hand in the comments.
"""
import math

import pytest
import torch

from mmext.pretrain.models import TokenReducer
from mmext.pretrain.models.utils import dpc_knn_cluster


def oracle_step(x, size, q, k, keep_rate, head_reduce='mean', match_metric='x', merge_weight='attn', knn_k=5,
                dpc_variant='knn', cluster_on='ln', dist_scale=None):
    """BAT reduction of one sample. x [N, C], size [N], q / k [H, N, d]. Returns tokens [N', C], sizes [N']."""
    x, size, q, k = x.double(), size.double(), q.double(), k.double()
    num_heads, num_tokens, head_dims = k.shape
    n = num_tokens - 1
    # CLS attention: softmax over all N keys per head, CLS column dropped, then mean / max over heads
    per_head = []
    for h in range(num_heads):
        logits = [float(q[h, 0] @ k[h, j]) / math.sqrt(head_dims) for j in range(num_tokens)]
        top = max(logits)
        expo = [math.exp(v - top) for v in logits]
        per_head.append([e / sum(expo) for e in expo[1:]])
    scores = [sum(col) / num_heads if head_reduce == 'mean' else max(col) for col in zip(*per_head)]

    keep = math.ceil(keep_rate * n)
    ranked = sorted(range(n), key=lambda i: (-scores[i], i))
    attentive, inattentive = sorted(ranked[:keep]), ranked[keep:]
    pairs = clusters = min(len(inattentive) // 2, keep // 2)  # Cn = r = min(floor(M / 2), floor(K / 2))
    weight = {'attn': lambda i: scores[i], 'size': lambda i: float(size[1 + i]), 'mean': lambda i: 1.0}[merge_weight]

    def merge(members):
        total = sum(weight(i) for i in members)
        return sum(weight(i) * x[1 + i] for i in members) / total, sum(float(size[1 + i]) for i in members)

    # bipartite matching inside the attentive set: A = even, B = odd positions of the (spatially sorted) set
    feats = x[1:] if match_metric == 'x' else k.mean(dim=0)[1:]
    side_a, side_b = attentive[0::2], attentive[1::2]

    def cosine(i, j):
        return float(feats[i] @ feats[j] / (feats[i].norm() * feats[j].norm()))

    best = []
    for a in side_a:
        sims = [cosine(a, b) for b in side_b]
        best.append((max(sims), sims.index(max(sims))))
    merged_a = sorted(range(len(side_a)), key=lambda t: (-best[t][0], t))[:pairs]
    groups = [[side_a[t]] for t in range(len(side_a)) if t not in merged_a]
    groups += [[b] + [side_a[t] for t in merged_a if best[t][1] == jb] for jb, b in enumerate(side_b)]

    # DPC-kNN of the inattentive tokens, in the log domain
    feat = [x[1 + i] for i in inattentive]
    if cluster_on == 'ln':
        feat = [(f - f.mean()) / torch.sqrt(f.var(unbiased=False) + 1e-6) for f in feat]
    scale = x.shape[1]**-0.5 if dist_scale is None else dist_scale
    m = len(feat)
    dist = [[float((feat[i] - feat[j]).norm()) * scale for j in range(m)] for i in range(m)]
    near = m if dpc_variant == 'all' else min(knn_k, m)
    log_rho = [-sum(sorted(d * d for d in dist[i])[:near]) / near for i in range(m)]
    score = []
    for i in range(m):
        denser = [j for j in range(m) if log_rho[j] > log_rho[i] or (log_rho[j] == log_rho[i] and j < i)]
        delta = min(dist[i][j] for j in denser) if denser else max(dist[i])
        score.append(log_rho[i] if dpc_variant == 'no_delta' else log_rho[i] + math.log(delta))
    centres = sorted(range(m), key=lambda i: (-score[i], i))[:clusters]
    cluster_of = []
    for i in range(m):  # each centre in its own cluster, every other token with its nearest centre
        nearest = min(range(clusters), key=lambda c: (dist[i][centres[c]], c))
        cluster_of.append(centres.index(i) if i in centres else nearest)
    groups += [[inattentive[i] for i in range(m) if cluster_of[i] == c] for c in range(clusters)]

    tokens, sizes = [x[0]], [float(size[0])]
    for members in groups:
        token, token_size = merge(members)
        tokens.append(token)
        sizes.append(token_size)
    return torch.stack(tokens), torch.tensor(sizes, dtype=torch.float64)


def explicit_case():
    """CLS + 14 patch tokens, C = 4, H = 2 heads of d = 2; keep rate 0.5: K = M = 7, r = Cn = 3, 8 tokens out.

    The CLS query is (sqrt(2), 0) in both heads, so each head's CLS logits are the first key channel; the second key
    channel only shapes the 'k' matching metric. The values (one decimal) were picked so that every variant below
    changes the merged tokens (mean and max over heads even choose different attentive sets: patches 8 and 12
    against 3 and 5) and so that no decision (top-K, best match, DPC centres, assignment) flips under 1e-3
    perturbations of x and k: float32 and the float64 oracle must agree.
    """
    logits = torch.tensor([[0.0, -0.6, 1.4, 0.2, 0.4, 1.8, 0.5, -0.4, -0.3, 0.1, -0.8, -0.8, 0.1, 0.0, -1.6],
                           [0.0, 0.4, -0.2, -2.8, 0.4, -0.6, -1.7, 1.6, 1.1, 1.1, 2.0, 2.8, 0.5, 1.0, -0.2]])
    metric = torch.tensor([[0.9, -0.4, 0.8, -0.3, -0.8, 0.8, 0.7, 0.7, 0.1, -0.4, 0.8, -0.3, 1.4, 0.9, 0.1],
                           [-0.2, 1.4, -2.0, 0.0, 0.3, -0.8, 0.3, 0.5, 1.1, -1.4, 0.0, -0.3, -1.0, -0.9, 1.8]])
    k = torch.stack([logits, metric], dim=-1)  # [H, N, 2]
    q = torch.zeros(2, 15, 2)
    q[:, 0, 0] = math.sqrt(2)
    x = torch.tensor([
        [1.4, -0.1, 0.3, -0.4],  # CLS
        [9.2, 3.3, -0.5, -1.4],
        [-0.8, 0.5, -0.2, 0.9],
        [-0.6, 0.4, -0.4, -1.3],
        [-0.9, -0.9, 0.9, 0.7],
        [-0.1, -0.7, 0.9, -0.6],
        [-0.3, 0.1, 0.2, 0.4],
        [-0.5, 2.0, 1.4, -1.1],
        [-1.1, -1.2, 2.4, -0.1],
        [6.2, 2.3, 0.9, 0.9],
        [-6.2, -2.2, -3.7, 6.0],
        [0.6, -0.6, -2.6, 0.2],
        [-0.9, -2.4, -0.4, 1.3],
        [-3.7, -6.1, 2.6, -0.8],
        [-11.1, -18.3, 7.8, -2.4],
    ])
    size = torch.tensor([1.0, 2.0, 2.0, 4.0, 3.0, 3.0, 1.0, 1.0, 1.0, 3.0, 1.0, 2.0, 4.0, 4.0, 4.0])
    return x, size, q, k


VARIANTS = [
    dict(head_reduce='max'),
    dict(match_metric='k'),
    dict(merge_weight='size'),
    dict(merge_weight='mean'),
    dict(knn_k=2),
    dict(dpc_variant='all'),
    dict(dpc_variant='no_delta'),
    dict(cluster_on='raw'),
    dict(dist_scale=3.0),
]


@pytest.mark.parametrize('variant', [dict()] + VARIANTS)
def test_reduction_step_matches_oracle(variant):
    x, size, q, k = explicit_case()
    reducer = TokenReducer(**variant)
    out, out_size = reducer(x[None], size[None], q[None], k[None], None, keep_rate=0.5)
    expected, expected_size = oracle_step(x, size, q, k, 0.5, **variant)
    assert out.shape == (1, 8, 4)  # CLS + (7 - 3) attentive + 3 clusters
    assert torch.allclose(out[0].double(), expected, atol=1e-6), (out[0] - expected).abs().max()
    assert torch.allclose(out_size[0].double(), expected_size)


@pytest.mark.parametrize('variant', VARIANTS)
def test_every_variant_changes_the_step(variant):
    x, size, q, k = explicit_case()
    default, _ = oracle_step(x, size, q, k, 0.5)
    changed, _ = oracle_step(x, size, q, k, 0.5, **variant)
    assert (default - changed).abs().max() > 1e-3, variant


# 1-D points (cluster_on='raw', dist_scale=1): 0, 1, 2, 3 | 10, 10.5 | 30 (indices 0..6)
POINTS = torch.tensor([0., 1., 2., 3., 10., 10.5, 30.]).view(1, 7, 1)


@pytest.mark.parametrize('kwargs,centres,groups', [
    # knn_k=2 (self + nearest): log rho = -d_nn^2 / 2 = -0.5 (0..3), -0.125 (4, 5), -190.125 (6). Densest: 4 (ties
    # by index), delta_4 = max_j D = 20; delta_0 = D(0, 4) = 10; delta_1..3 = 1; delta_5 = 0.5; delta_6 = 19.5.
    # log rho + log delta: 4: 2.87, 0: 1.80, 1..3: -0.5 (tie: index order), 5: -0.82, 6: -187.
    (dict(knn_k=2, num_clusters=2), [4, 0], [1, 1, 1, 1, 0, 0, 0]),
    (dict(knn_k=2, num_clusters=3), [4, 0, 1], [1, 2, 2, 2, 0, 0, 0]),
    # knn_k=3: log rho = -5/3 (0, 3), -2/3 (1, 2), -49.25/3 (4), -56.5/3 (5), -780.25/3 (6). Densest 1 (tie with
    # 2), delta_1 = 29; delta_2 = 1 -> centres 1, 2; 3..6 are nearer to 2.
    (dict(knn_k=3, num_clusters=2), [1, 2], [0, 0, 1, 1, 1, 1, 1]),
    # 'all': log rho = -mean_j D^2 = -160.6, -145.5, -132.3, -121.2, -99.2, -101.4, -576.3; densest 4 (delta 20),
    # then 5 (delta 0.5: -102.1) before 3 (delta 7: -119.2).
    (dict(variant='all', num_clusters=2), [4, 5], [0, 0, 0, 0, 0, 1, 1]),
    # 'no_delta' (knn_k=2): density alone, 4 and 5 tie at -0.125 -> 4 first.
    (dict(knn_k=2, variant='no_delta', num_clusters=2), [4, 5], [0, 0, 0, 0, 0, 1, 1]),
])
def test_dpc_hand_computed(kwargs, centres, groups):
    result, centre_idx = dpc_knn_cluster(POINTS, cluster_on='raw', dist_scale=1.0, **kwargs)
    assert centre_idx[0].tolist() == centres
    assert result[0].tolist() == groups
