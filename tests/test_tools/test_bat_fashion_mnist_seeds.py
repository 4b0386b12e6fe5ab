"""tools/benchmarks/bat_fashion_mnist_seeds.py: the variants and their FLOP counts (no training, no data)."""
import pytest
from mmengine.registry import init_default_scope

from tools.benchmarks import bat_fashion_mnist_seeds as seeds


def test_variants_start_with_the_deit_control():
    rows = seeds.variants(0.7)
    assert list(rows)[0] == 'DeiT (keep rate 1)' and rows['DeiT (keep rate 1)'] == ['model.backbone.keep_rate=1.0']
    assert [r for r in rows if 'mode=' in ' '.join(rows[r])] == ['BAT (0.7)', 'EViT-mode (0.7)', 'ToMe-mode (0.7)']


def test_flops_of_each_variant_at_the_fine_tune_resolution():
    import mmext.seg  # noqa: F401
    init_default_scope('mmseg')  # another test's scope must not decide where the classifier is looked up
    rows = seeds.variants(0.7)
    gflops = {name: seeds.count_gflops(seeds.CONFIG, overrides) for name, overrides in rows.items()}
    # 6 layers, 48 wide, 197 tokens at 56 px (the README table's 0.0558 G); reductions at layers 1 and 3.
    assert gflops['DeiT (keep rate 1)'] == pytest.approx(0.055799088)
    for name in ('BAT (0.7)', 'EViT-mode (0.7)', 'ToMe-mode (0.7)'):
        assert 0.60 < gflops[name] / gflops['DeiT (keep rate 1)'] < 0.70, name
