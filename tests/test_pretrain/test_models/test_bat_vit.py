"""BATViT: equivalence with mmpretrain's VisionTransformer, checkpoint keys, token counts, gradients."""
import pytest
import torch
from mmcv.cnn.bricks import DropPath
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS

from mmext.pretrain.models import BATViT
from mmext.utils import count_flops


def build(**kwargs):
    model = MODELS.build(dict(type='BATViT', **kwargs))
    model.eval()
    return model


@pytest.fixture(scope='module')
def deit_small(randomize):
    model = MODELS.build(dict(type='VisionTransformer', arch='deit-small'))
    model.eval()
    return randomize(model)


def test_keep_rate_one_equals_deit_small(deit_small):
    images = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        expected = deit_small(images)[0]
        # keep_rate=1 runs BAT's own attention path in layers 3, 6, 9; reduce_layers=() only the stock layers
        for bat_kwargs in (dict(keep_rate=1.0), dict(reduce_layers=())):
            bat = build(arch='deit-small', **bat_kwargs)
            bat.load_state_dict(deit_small.state_dict(), strict=True)
            actual = bat(images)[0]
            assert torch.allclose(actual, expected, atol=1e-5), (bat_kwargs, (actual - expected).abs().max())


def test_plain_deit_checkpoint_loads_without_missing_or_unexpected_keys(deit_small, tmp_path):
    path = tmp_path / 'deit-small.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in deit_small.state_dict().items()}}, path)
    bat = build(arch='deit-small')
    assert set(bat.state_dict()) == set(deit_small.state_dict())
    assert sum(p.numel() for p in bat.parameters()) == sum(p.numel() for p in deit_small.parameters())

    plain = torch.load(path, weights_only=True)['state_dict']
    result = bat.load_state_dict({k[len('backbone.'):]: v for k, v in plain.items()}, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    # the path configs use: init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone')
    bat = build(arch='deit-small', init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='backbone'))
    bat.init_weights()
    for name, value in deit_small.state_dict().items():
        assert torch.equal(bat.state_dict()[name], value), name
    load_checkpoint(build(arch='deit-small'), str(path), strict=True, revise_keys=[(r'^backbone\.', '')])


@pytest.mark.parametrize('mode,counts', [('bat', [197, 139, 98, 69]), ('evit', [197, 140, 100, 72]),
                                         ('tome', [197, 139, 98, 69])])
def test_token_counts_deit_schedule(tiny_arch, randomize, mode, counts):
    model = randomize(build(arch=tiny_arch, mode=mode, out_type='raw', out_indices=[2, 3, 6, 9]))
    with torch.no_grad():
        outs = model(torch.randn(3, 3, 224, 224))
    assert [o.shape[1] for o in outs] == counts
    assert all(o.shape[0] == 3 for o in outs)
    assert [model.token_counts()[i] for i in (2, 3, 6, 9)] == counts


def test_sizes_conserved_and_cls_untouched(tiny_arch, randomize):
    reduced = randomize(build(arch=tiny_arch))
    plain = randomize(build(arch=tiny_arch, keep_rate=1.0))
    outputs = {}
    for name, model in (('reduced', reduced), ('plain', plain)):
        model.layers[3].register_forward_hook(lambda m, args, out, name=name: outputs.__setitem__(name, out))
    images = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        reduced(images)
        plain(images)
    (x, size), (x_plain, _) = outputs['reduced'], outputs['plain']
    assert x.shape[1] == 139 and torch.allclose(size[:, 1:].sum(1), torch.full((2, ), 196.))
    # the reduction leaves the CLS token alone: the layer's CLS output is that of an unreduced layer
    assert torch.allclose(x[:, 0], x_plain[:, 0], atol=1e-5)


@pytest.mark.parametrize('kwargs', [dict(), dict(mode='evit'), dict(mode='tome', merge_weight='size'),
                                    dict(match_metric='k', prop_attn=True, merge_weight='size')])
def test_backward_reaches_every_patch(tiny_arch, randomize, kwargs):
    """Gradients flow through merged tokens: every input patch influences the output."""
    model = randomize(build(arch=tiny_arch, keep_rate=0.5, **kwargs))
    model.train()
    images = torch.randn(2, 3, 224, 224, requires_grad=True)
    model(images)[0].pow(2).sum().backward()
    patch_grad = images.grad.abs().reshape(2, 3, 14, 16, 14, 16).sum(dim=(1, 3, 5))
    assert (patch_grad > 0).all()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters() if p.requires_grad)


@pytest.mark.parametrize('kwargs', [dict(), dict(mode='evit'),
                                    dict(mode='tome', match_metric='k', merge_weight='size', prop_attn=True)])
def test_batch_independence(tiny_arch, randomize, kwargs):
    model = randomize(build(arch=tiny_arch, out_type='avg_featmap', **kwargs))
    images = torch.randn(3, 3, 224, 224)
    with torch.no_grad():
        batched = model(images)[0]
        for i in range(3):
            assert torch.allclose(model(images[i:i + 1])[0], batched[i:i + 1], atol=1e-5)


@pytest.mark.parametrize('kwargs', [dict(), dict(mode='tome', prop_attn=True, match_metric='k')])
def test_autocast_keeps_token_counts(tiny_arch, randomize, kwargs):
    model = randomize(build(arch=tiny_arch, out_type='raw', out_indices=[3, 6, 9], **kwargs))
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        outs = model(torch.randn(2, 3, 224, 224))
    assert [o.shape[1] for o in outs] == [139, 98, 69]
    assert all(torch.isfinite(o.float()).all() for o in outs)


def test_avg_featmap_is_size_weighted_mean():
    model = build(arch=dict(embed_dims=8, num_layers=4, num_heads=2, feedforward_channels=8), img_size=32,
                  out_type='avg_featmap', reduce_layers=(1, ))
    x = torch.randn(1, 4, 8)
    size = torch.tensor([[1., 2., 1., 5.]])
    expected = model.ln2((x[0, 1:] * size[0, 1:, None]).sum(0, keepdim=True) / 8)
    assert torch.allclose(model._format_output(x, size), expected, atol=1e-6)


def test_keep_rate_is_mutable_and_flops_fall_with_it(tiny_arch):
    model = build(arch=tiny_arch, img_size=112)
    flops = []
    for rate in (1.0, 0.9, 0.7, 0.5, 0.3):
        model.keep_rate = rate
        flops.append(count_flops(model, (3, 112, 112))['flops'])
    assert all(a > b for a, b in zip(flops, flops[1:]))
    with pytest.raises(ValueError, match='keep_rate'):
        model.keep_rate = 0


@pytest.mark.parametrize('kwargs,match', [
    (dict(out_type='featmap'), 'featmap'),
    (dict(with_cls_token=False, out_type='raw'), 'with_cls_token'),
    (dict(mode='prune'), 'mode'),
    (dict(merge_weight='max'), 'merge_weight'),
    (dict(reduce_layers=(3, 12)), 'reduce_layers'),
    (dict(num_clusters=[10, 10]), 'num_clusters'),
    (dict(num_pairs=80), 'num_pairs'),
    (dict(reduce_layers=(9, 3, 6), num_clusters=[10, 8, 6]), 'reduce_layers'),  # unsorted: no silent reorder
    (dict(reduce_layers=(3, 3, 6)), 'reduce_layers'),
    (dict(cluster_on='bn'), 'cluster_on'),
    (dict(knn_k=0), 'knn_k'),
])
def test_bad_arguments_raise(tiny_arch, kwargs, match):
    with pytest.raises(ValueError, match=match):
        BATViT(arch=tiny_arch, **kwargs)


@pytest.mark.parametrize('kwargs,match', [
    (dict(keep_rate=None), 'keep_rate'),
    (dict(keep_rate='0.7'), 'keep_rate'),
    (dict(num_clusters=10.0), 'num_clusters'),
    (dict(num_pairs=[5, 5.0, 5]), 'num_pairs'),
    (dict(reduce_layers=3), 'reduce_layers'),
    (dict(reduce_layers=(3.0, 6)), 'reduce_layers'),
    (dict(prop_attn='yes'), 'prop_attn'),
])
def test_bad_argument_types_raise(tiny_arch, kwargs, match):
    with pytest.raises(TypeError, match=match):
        BATViT(arch=tiny_arch, **kwargs)
    if 'keep_rate' in kwargs:  # the attribute a warmup hook sets is checked the same way
        model = BATViT(arch=tiny_arch)
        with pytest.raises(TypeError, match='keep_rate'):
            model.keep_rate = kwargs['keep_rate']


def test_inference_is_deterministic_and_leaves_the_rng_alone(tiny_arch, randomize):
    """No random tie-break noise: two evaluations agree bit for bit and the global RNG state is unchanged."""
    model = randomize(build(arch=tiny_arch, out_type='raw', cluster_on='raw'))
    with torch.no_grad():
        model.patch_embed.projection.weight.mul_(200)  # large residual stream, as with trained weights
    images = torch.randn(2, 3, 224, 224)
    state = torch.get_rng_state()
    with torch.no_grad():
        first, second = model(images)[0], model(images)[0]
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(first, second)


def test_explicit_counts_and_frozen_stages(tiny_arch, randomize):
    model = randomize(build(arch=tiny_arch, num_clusters=[10, 8, 6], num_pairs=5, frozen_stages=2,
                            out_type='raw', out_indices=[3, 6, 9]))
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 224, 224))
    # 1 + K - r + Cn with K = ceil(0.7 n): n = 196 -> 1+138-5+10; n = 143 -> 1+101-5+8; n = 104 -> 1+73-5+6
    assert [o.shape[1] for o in outs] == [144, 105, 75]
    assert not any(p.requires_grad for p in model.layers[1].parameters())
    assert model.get_layer_depth('backbone.layers.3.attn.qkv.weight', 'backbone.')[0] == 4


def test_drop_path_compiles_without_graph_breaks(tiny_arch):
    # mmpretrain builds the stochastic-depth rates as numpy scalars, at which torch.compile broke the graph in every
    # layer (tools/benchmarks/bench_compile.py).
    model = build(arch=tiny_arch, drop_path_rate=0.1)
    model.train()
    drop_paths = [m for m in model.modules() if isinstance(m, DropPath)]
    assert len(drop_paths) == 2 * tiny_arch['num_layers'] and all(type(m.drop_prob) is float for m in drop_paths)
    torch._dynamo.reset()
    assert torch._dynamo.explain(drop_paths[-1])(torch.randn(2, 5, 48)).graph_break_count == 0
