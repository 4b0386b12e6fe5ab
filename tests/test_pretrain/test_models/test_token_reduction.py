"""Known-answer tests of the pure token-reduction functions (mmext.pretrain.models.utils.token_reduction)."""
import math

import pytest
import torch

from mmext.pretrain.models.utils import (TokenBudget, batch_gather, bipartite_pairs, cls_attention, decouple,
                                         dpc_knn_cluster, keep_rate_at, pairwise_sq_dist, reduce_tokens, token_budget,
                                         weighted_merge)


def groups_as_sets(groups: torch.Tensor, labels=None):
    """Partition of token indices (or of ``labels``) induced by a group vector, order-free."""
    labels = range(len(groups)) if labels is None else labels
    parts = {}
    for label, g in zip(labels, groups.tolist()):
        parts.setdefault(g, set()).add(label)
    return {frozenset(p) for p in parts.values()}


# ---------------------------------------------------------------- budgets


def test_budget_deit_small_schedule():
    """rho = 0.7 on DeiT-S: 197 -> 139 -> 98 -> 69 tokens, Cn = r (docs/bat.md, token budget)."""
    counts, n = [], 196
    for _ in range(3):
        budget = token_budget(n, 0.7)
        assert budget.clusters == budget.pairs == min(budget.inattentive // 2, budget.keep // 2)
        counts.append(budget.num_out)
        n = budget.num_out - 1
    assert counts == [139, 98, 69]


def test_budget_paper_toy_example():
    """Fig. 3: 10 tokens -> 5 attentive (2 pairs merged) + 5 inattentive (2 clusters) -> CLS + 5."""
    budget = token_budget(10, 0.5, num_clusters=2, num_pairs=2)
    assert budget == TokenBudget(5, 5, 2, 2)
    assert budget.num_out == 6


@pytest.mark.parametrize('seed', range(5))
def test_budget_count_formula(seed):
    gen = torch.Generator().manual_seed(seed)
    n = int(torch.randint(20, 300, (1, ), generator=gen))
    rho = float(torch.empty(1).uniform_(0.1, 0.95, generator=gen))
    keep = math.ceil(rho * n)
    clusters = int(torch.randint(1, n - keep + 1, (1, ), generator=gen))
    pairs = int(torch.randint(0, keep // 2 + 1, (1, ), generator=gen))
    budget = token_budget(n, rho, num_clusters=clusters, num_pairs=pairs)
    assert budget.num_out == 1 + keep - pairs + clusters
    x = torch.randn(2, n + 1, 8)
    out, size = reduce_tokens(x, torch.ones(2, n + 1), budget, torch.rand(2, n).softmax(-1))
    assert out.shape == (2, budget.num_out, 8)
    assert torch.allclose(size[:, 1:].sum(1), torch.full((2, ), float(n)))


def test_budget_errors_name_the_argument():
    with pytest.raises(ValueError, match='num_pairs'):
        token_budget(196, 0.7, num_pairs=70)  # K = 138, floor(K/2) = 69
    with pytest.raises(ValueError, match='num_clusters'):
        token_budget(196, 0.7, num_clusters=59)  # M = 58
    with pytest.raises(ValueError, match='keep_rate'):
        token_budget(196, 0.0)
    with pytest.raises(ValueError, match='mode'):
        token_budget(196, 0.7, mode='prune')
    with pytest.raises(ValueError, match='num_pairs'):
        token_budget(196, 0.4, mode='tome')  # r = 117 > 98


@pytest.mark.parametrize('kwargs,match', [
    (dict(keep_rate=None), 'keep_rate'),
    (dict(keep_rate='0.7'), 'keep_rate'),
    (dict(keep_rate=True), 'keep_rate'),
    (dict(keep_rate=0.7, num_clusters=10.0), 'num_clusters'),
    (dict(keep_rate=0.7, num_pairs='5'), 'num_pairs'),
    (dict(keep_rate=0.7, cluster_ratio=None), 'cluster_ratio'),
])
def test_budget_type_errors_name_the_argument(kwargs, match):
    with pytest.raises(TypeError, match=match):
        token_budget(196, **kwargs)


def test_budget_modes_and_identity():
    assert token_budget(196, 0.7, mode='evit') == TokenBudget(138, 58, 1, 0)
    assert token_budget(196, 0.7, mode='tome') == TokenBudget(196, 0, 0, 58)
    assert token_budget(196, 0.7, mode='tome', num_pairs=13).num_out == 184
    for mode in ('bat', 'evit', 'tome'):
        assert token_budget(196, 1.0, mode=mode).is_identity
    # M = 1: the rule would give Cn = 0; the single inattentive token is kept as a cluster instead of dropped
    assert token_budget(10, 0.9) == TokenBudget(9, 1, 1, 1)


def test_keep_rate_warmup():
    assert keep_rate_at(0, 0.7) == 1.0
    assert keep_rate_at(9.99, 0.7) == 1.0
    assert keep_rate_at(10, 0.7) == pytest.approx(1.0)
    assert keep_rate_at(60, 0.7) == pytest.approx(0.85)
    assert keep_rate_at(110, 0.7) == 0.7
    assert keep_rate_at(300, 0.7) == 0.7
    rates = [keep_rate_at(e / 10, 0.5, 0, 30) for e in range(0, 400)]
    assert all(a >= b for a, b in zip(rates, rates[1:]))
    assert keep_rate_at(0, 0.5, 0, 0) == 0.5


# ---------------------------------------------------------------- attention and decoupling


def test_cls_attention_equals_explicit_softmax_row():
    q, k = torch.randn(2, 3, 11, 8), torch.randn(2, 3, 11, 8)
    full = (q @ k.transpose(-2, -1) / math.sqrt(8)).softmax(-1)  # [B, H, N, N], CLS key column included
    assert torch.allclose(cls_attention(q[:, :, :1], k), full[:, :, 0, 1:].mean(1), atol=1e-6)
    assert torch.allclose(cls_attention(q[:, :, :1], k, head_reduce='max'), full[:, :, 0, 1:].amax(1), atol=1e-6)
    bias = torch.rand(2, 1, 1, 11)
    full = (q @ k.transpose(-2, -1) / math.sqrt(8) + bias).softmax(-1)
    assert torch.allclose(cls_attention(q[:, :, :1], k, bias), full[:, :, 0, 1:].mean(1), atol=1e-6)


def test_decouple_splits_by_score():
    scores = torch.tensor([[0.1, 0.5, 0.3, 0.9, 0.2]])
    att, inatt = decouple(scores, 3)
    assert att.tolist() == [[1, 2, 3]]
    assert sorted(inatt.tolist()[0]) == [0, 4]
    att, _ = decouple(scores, 3, order='attention')
    assert att.tolist() == [[3, 1, 2]]


def test_pairwise_sq_dist_matches_cdist():
    x = torch.randn(2, 7, 5)
    assert torch.allclose(pairwise_sq_dist(x), torch.cdist(x, x)**2, atol=1e-4)


# ---------------------------------------------------------------- merging


def test_weighted_merge_known_answer_and_mass():
    x = torch.tensor([[[0., 2.], [4., 6.], [10., 10.]]])
    groups = torch.tensor([[0, 0, 1]])
    weight = torch.tensor([[1., 3., 2.]])
    size = torch.tensor([[1., 2., 5.]])
    merged, merged_size = weighted_merge(x, groups, 2, weight, size)
    assert torch.allclose(merged, torch.tensor([[[3., 5.], [10., 10.]]]))
    assert merged_size.tolist() == [[3., 5.]]
    # attention-weighted mean preserves the weighted mass: sum_g W_g * mean_g == sum_i w_i x_i
    mass = (weight.unsqueeze(-1) * x).sum(1)
    group_weight = torch.zeros(1, 2).scatter_add(1, groups, weight)
    assert torch.allclose((group_weight.unsqueeze(-1) * merged).sum(1), mass)
    fused, _ = weighted_merge(x, torch.zeros_like(groups), 1, weight, normalize=False)
    assert torch.allclose(fused[:, 0], mass)


def test_weighted_merge_all_zero_weights_fall_back_to_sizes():
    """A group whose weights are all 0 (e.g. underflowed attention) is size-weighted, not a zero vector."""
    x = torch.tensor([[[1., 2.], [3., 4.], [5., 6.], [7., 9.]]])
    groups = torch.tensor([[0, 0, 1, 1]])
    weight = torch.tensor([[0., 0., 1., 3.]])
    merged, merged_size = weighted_merge(x, groups, 2, weight, torch.tensor([[1., 3., 2., 2.]]))
    assert torch.allclose(merged, torch.tensor([[[2.5, 3.5], [6.5, 8.25]]]))  # group 0: (1 x1 + 3 x2) / 4
    assert merged_size.tolist() == [[4., 4.]]
    merged, _ = weighted_merge(x, groups, 2, weight)  # no sizes: equal weights
    assert torch.allclose(merged, torch.tensor([[[2., 3.], [6.5, 8.25]]]))
    fused, _ = weighted_merge(x, groups, 2, weight, normalize=False)  # EViT's sum stays a sum
    assert torch.allclose(fused[0, 0], torch.zeros(2))


def test_weighted_merge_identical_equal_weights_and_convexity():
    token = torch.randn(1, 1, 6)
    merged, _ = weighted_merge(token.expand(1, 4, 6), torch.zeros(1, 4, dtype=torch.long), 1, torch.rand(1, 4))
    assert torch.allclose(merged, token, atol=1e-6)

    x = torch.randn(2, 9, 6)
    groups = torch.randint(0, 3, (2, 9))
    groups[:, :3] = torch.arange(3)  # no empty group
    equal, _ = weighted_merge(x, groups, 3, torch.full((2, 9), 0.25))
    plain, _ = weighted_merge(x, groups, 3)
    assert torch.allclose(equal, plain, atol=1e-6)
    merged, _ = weighted_merge(x, groups, 3, torch.rand(2, 9))
    for b in range(2):
        for g in range(3):
            members = x[b, groups[b] == g]
            assert (merged[b, g] >= members.amin(0) - 1e-6).all()
            assert (merged[b, g] <= members.amax(0) + 1e-6).all()


def test_bipartite_merge_of_identical_tokens():
    """A-B pairs of identical tokens are merged first and return that token."""
    # tokens 0/1 identical, 2/3 identical, 4/5 random: alternate split puts 0, 2, 4 in A and 1, 3, 5 in B
    base = torch.randn(3, 16)
    x = torch.stack([base[0], base[0], base[1], base[1], torch.randn(16), torch.randn(16)]).unsqueeze(0)
    groups = bipartite_pairs(x, 2)
    assert groups.shape == (1, 6) and int(groups.max()) == 3
    assert groups[0, 0] == groups[0, 1] and groups[0, 2] == groups[0, 3]
    merged, size = weighted_merge(x, groups, 4, size=torch.ones(1, 6))
    assert torch.allclose(merged[0, groups[0, 0]], base[0]) and torch.allclose(merged[0, groups[0, 2]], base[1])
    assert sorted(size[0].tolist()) == [1., 1., 2., 2.]


def test_bipartite_pairs_known_answers():
    """Unmerged A tokens keep position order; with class_token the CLS token is A[0] and never merged (ToMe)."""
    # A0 [1, 2] (best: B1, 0.894), B0 [1, 0], A1 [1, 0.2] (best: B0, 0.981), B1 [0, 1], A2 [0.02, 1] (B1, 0.9998)
    metric = torch.tensor([[[1., 2.], [1., 0.], [1., 0.2], [0., 1.], [0.02, 1.]]])
    # r = 1 merges A2 into B1; A0 and A1 stay in position order (A0 -> 0, A1 -> 1), then B0 -> 2, B1 -> 3
    assert bipartite_pairs(metric, 1).tolist() == [[0, 2, 1, 3, 3]]
    assert bipartite_pairs(metric, 2).tolist() == [[0, 1, 1, 2, 2]]  # then A1 -> B0
    # CLS [1, 0] at position 0 would match B0 exactly; as a class token it is skipped and keeps group 0
    metric = torch.tensor([[[1., 0.], [1., 0.], [0.9, 0.1], [0., 1.], [0.6, 0.8], [-1., 0.], [0.1, 0.99]]])
    # A1 -> B0 (0.994), A2 -> B1 (0.8), A3 -> B1 (0.995): r = 2 merges A3 and A1; CLS -> 0, A2 -> 1, B -> 2, 3, 4
    assert bipartite_pairs(metric, 2, class_token=True).tolist() == [[0, 2, 2, 3, 1, 4, 3]]
    assert bipartite_pairs(metric, 2).tolist() == [[2, 2, 0, 3, 1, 4, 3]]  # without: CLS merges into B0
    with pytest.raises(ValueError, match='num_pairs'):
        bipartite_pairs(metric, 4, class_token=True)


@pytest.mark.parametrize('length,pairs', [(10, 3), (11, 5), (7, 0)])
def test_bipartite_pairs_structure(length, pairs):
    metric = torch.randn(3, length, 8)
    groups = bipartite_pairs(metric, pairs)
    assert groups.shape == (3, length)
    for b in range(3):
        assert set(groups[b].tolist()) == set(range(length - pairs))  # exactly r merges, no empty group
        b_groups = groups[b, 1::2].tolist()
        assert len(set(b_groups)) == length // 2  # B tokens never merge with each other
        a_groups = groups[b, 0::2].tolist()
        shared_a = {g for g in a_groups if a_groups.count(g) > 1}
        assert shared_a <= set(b_groups)  # never A -> A: A tokens only share a group through a B token
        assert sum(g in b_groups for g in a_groups) == pairs


# ---------------------------------------------------------------- clustering


def test_dpc_recovers_well_separated_clusters():
    gen = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0., 0.], [20., 0.], [0., 20.]]).repeat(1, 4) * 3  # [3, 8]
    labels = torch.arange(3).repeat_interleave(7)
    x = (centres[labels] + 0.3 * torch.randn(21, 8, generator=gen)).unsqueeze(0)
    perm = torch.randperm(21, generator=gen)
    x, labels = x[:, perm], labels[perm]
    # 'all' averages over the whole sample: here log rho is about -1200 in the cluster at the origin, -1800 in the
    # others and varies by ~10 inside a cluster, while log delta separates clusters by only ~5, so it finds one
    # centre per cluster only once the distance scale flattens the density. 'no_delta' may pick two peaks of one
    # cluster by design.
    for kwargs in (dict(variant='knn'), dict(variant='all', dist_scale=0.01)):
        groups, centre_idx = dpc_knn_cluster(x, 3, knn_k=5, cluster_on='raw', **kwargs)
        assert groups_as_sets(groups[0]) == groups_as_sets(labels), kwargs
        assert groups[0, centre_idx[0]].tolist() == [0, 1, 2]


def test_dpc_on_layer_normed_features():
    """cluster_on='ln' groups tokens by direction (LayerNorm removes per-token offset and scale), 'raw' by position."""
    gen = torch.Generator().manual_seed(1)
    patterns = torch.randn(2, 16, generator=gen)
    # cluster 0: small multiples of pattern 0; cluster 1: large multiples of pattern 1 (near in 'ln', far in 'raw')
    scales = torch.tensor([0.5, 0.6, 0.7, 20., 25., 30.])
    x = torch.cat([scales[:3, None] * patterns[0], scales[3:, None] * patterns[1]]).unsqueeze(0)
    x = x + 0.01 * torch.randn(x.shape, generator=gen)
    groups, _ = dpc_knn_cluster(x, 2, knn_k=2)
    assert groups_as_sets(groups[0]) == {frozenset({0, 1, 2}), frozenset({3, 4, 5})}
    # scaling every token leaves the 'ln' clustering unchanged
    assert torch.equal(dpc_knn_cluster(x * 1000, 2, knn_k=2)[0], groups)
    with pytest.raises(ValueError, match='cluster_on'):
        dpc_knn_cluster(x, 2, cluster_on='bn')


@pytest.mark.parametrize('variant', ['knn', 'all', 'no_delta'])
def test_dpc_large_activations_deterministic_and_rng_free(variant):
    """Raw tokens with per-channel std 30: exp(-density) would underflow to 0 for every token; in the log domain
    the centres are those of a float64 computation, twice the same, and the global RNG is not touched."""
    gen = torch.Generator().manual_seed(2)
    x = 30 * torch.randn(2, 40, 64, generator=gen)
    state = torch.get_rng_state()
    groups, centres = dpc_knn_cluster(x, 6, variant=variant, cluster_on='raw')
    assert torch.equal(torch.get_rng_state(), state)
    again = dpc_knn_cluster(x, 6, variant=variant, cluster_on='raw')
    assert torch.equal(again[0], groups) and torch.equal(again[1], centres)

    dist = torch.cdist(x.double(), x.double()) / 8  # dist_scale = C ** -0.5
    near = 40 if variant == 'all' else 5
    log_rho = -dist.pow(2).topk(near, dim=-1, largest=False).values.mean(-1)
    assert (log_rho < -800).all()  # exp(log_rho) is 0 even in float64
    index = torch.arange(40)
    denser = (log_rho[:, None, :] > log_rho[:, :, None]) | (
        (log_rho[:, None, :] == log_rho[:, :, None]) & (index[None, :] < index[:, None]))
    delta = torch.where(denser, dist, dist.amax(-1, keepdim=True)).amin(-1)
    score = log_rho if variant == 'no_delta' else log_rho + delta.log()
    assert torch.equal(centres, score.argsort(-1, descending=True)[:, :6])


@pytest.mark.parametrize('variant', ['knn', 'all', 'no_delta'])
def test_dpc_structure_and_permutation_invariance(variant):
    x = torch.randn(2, 15, 6)
    groups, centre_idx = dpc_knn_cluster(x, 4, variant=variant)
    assert groups.shape == (2, 15) and centre_idx.shape == (2, 4)
    for b in range(2):
        assert set(groups[b].tolist()) == set(range(4))  # exactly Cn non-empty clusters
        assert groups[b, centre_idx[b]].tolist() == [0, 1, 2, 3]  # each centre is in its own cluster
    perm = torch.randperm(15)
    groups_perm, _ = dpc_knn_cluster(x[:, perm], 4, variant=variant)
    for b in range(2):
        assert groups_as_sets(groups_perm[b], perm.tolist()) == groups_as_sets(groups[b])


def test_dpc_rejects_bad_counts():
    with pytest.raises(ValueError, match='num_clusters'):
        dpc_knn_cluster(torch.randn(1, 4, 3), 5)
    with pytest.raises(ValueError, match='variant'):
        dpc_knn_cluster(torch.randn(1, 4, 3), 2, variant='fast')


# ---------------------------------------------------------------- the whole reduction


def test_reduce_tokens_bat_keeps_cls_and_sets():
    """CLS untouched; sizes sum; attentive and inattentive tokens never mix."""
    n, channels = 20, 4
    # attentive tokens live on channel 0, inattentive ones on channel 1, so any mixing shows up in both channels
    x = torch.zeros(2, n + 1, channels)
    x[:, 0] = torch.randn(2, channels)
    attn = torch.rand(2, n)
    top = attn.argsort(1, descending=True)[:, :14]
    for b in range(2):
        x[b, 1:, 1] = torch.rand(n) + 1
        x[b, 1 + top[b], 1] = 0
        x[b, 1 + top[b], 0] = torch.rand(14) + 1
    budget = token_budget(n, 0.7)
    out, size = reduce_tokens(x, torch.ones(2, n + 1), budget, attn)
    assert out.shape == (2, budget.num_out, channels)
    assert torch.equal(out[:, 0], x[:, 0]) and torch.equal(size[:, 0], torch.ones(2))
    assert torch.allclose(size[:, 1:].sum(1), torch.full((2, ), float(n)))
    kept = out[:, 1:1 + budget.keep - budget.pairs]
    clusters = out[:, 1 + budget.keep - budget.pairs:]
    assert (kept[..., 1] == 0).all() and (kept[..., 0] > 0).all()
    assert (clusters[..., 0] == 0).all() and (clusters[..., 1] > 0).all()


def test_reduce_tokens_evit_fused_token_is_weighted_sum():
    x, attn = torch.randn(1, 11, 4), torch.rand(1, 10)
    budget = token_budget(10, 0.6, mode='evit')
    out, size = reduce_tokens(x, torch.ones(1, 11), budget, attn, mode='evit')
    rest = attn.argsort(1, descending=True)[0, 6:]
    assert torch.allclose(out[0, -1], (attn[0, rest, None] * x[0, 1 + rest]).sum(0), atol=1e-6)
    assert size[0, -1] == 4
    assert torch.equal(out[0, 1:7], x[0, 1 + attn[0].argsort(descending=True)[:6].sort().values])


def test_reduce_tokens_tome_without_attention():
    x = torch.randn(2, 13, 4)
    budget = token_budget(12, 0.75, mode='tome')
    out, size = reduce_tokens(x, torch.ones(2, 13), budget, mode='tome', merge_weight='size')
    assert out.shape == (2, 10, 4) and torch.equal(out[:, 0], x[:, 0])
    assert torch.allclose(size.sum(1), torch.full((2, ), 13.))
    with pytest.raises(ValueError, match='cls_attn'):
        reduce_tokens(x, torch.ones(2, 13), budget, mode='tome')


def test_reduce_tokens_tome_alternates_over_the_whole_sequence():
    """ToMe: CLS is A[0], so patches 1, 3, 5 form side A and 0, 2, 4 side B; output [CLS, unmerged A, B]."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, 7, 8, generator=gen)
    x[0, 6] = 2 * x[0, 3]  # patch 5 (A) has cosine similarity 1 with patch 2 (B): the one merge at r = 1
    size = torch.tensor([[1., 1., 2., 3., 1., 1., 1.]])
    out, out_size = reduce_tokens(x, size, token_budget(6, 1.0, mode='tome', num_pairs=1), mode='tome',
                                  merge_weight='size')
    merged = (3 * x[0, 3] + 1 * x[0, 6]) / 4
    expected = torch.stack([x[0, 0], x[0, 2], x[0, 4], x[0, 1], merged, x[0, 5]])
    assert torch.allclose(out[0], expected, atol=1e-6)
    assert out_size.tolist() == [[1., 2., 1., 1., 4., 1.]]


def test_reduce_tokens_gradients_and_batch_independence():
    torch.manual_seed(0)
    x = torch.randn(3, 31, 8, requires_grad=True)
    attn = torch.rand(3, 30).softmax(-1)
    budget = token_budget(30, 0.5)
    out, _ = reduce_tokens(x, torch.ones(3, 31), budget, attn)
    out[:, 1 + budget.keep - budget.pairs:].sum().backward()  # gradients through the cluster tokens
    assert x.grad is not None and x.grad[:, 1:].abs().sum() > 0
    x = x.detach()
    for i in range(3):
        alone, _ = reduce_tokens(x[i:i + 1], torch.ones(1, 31), budget, attn[i:i + 1])
        assert torch.allclose(alone, out[i:i + 1], atol=1e-6)


def test_reduce_tokens_budget_mismatch():
    with pytest.raises(ValueError, match='token_budget'):
        reduce_tokens(torch.randn(1, 11, 4), torch.ones(1, 11), token_budget(12, 0.5), torch.rand(1, 10))


def test_batch_gather():
    t = torch.arange(12.).view(2, 3, 2)
    idx = torch.tensor([[2, 0], [1, 1]])
    assert batch_gather(t, idx).tolist() == [[[4., 5.], [0., 1.]], [[8., 9.], [8., 9.]]]
    assert batch_gather(t[..., 0], idx).tolist() == [[4., 0.], [8., 8.]]
