"""tools/analysis_tools/get_flops.py and tools/benchmarks/bench_token_merge.py on small inputs."""
import os.path as osp

import pytest

from tools.analysis_tools.get_flops import main as get_flops_main
from tools.benchmarks.bench_token_merge import main as bench_main

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_get_flops_on_bat_config(capsys):
    get_flops_main([osp.join(REPO_ROOT, 'configs', 'bat', 'bat_deit-tiny-kr0.7_4xb256-30e-ft_in1k.py')])
    out = capsys.readouterr().out
    assert 'Flops: 0.818 GFLOPs' in out and 'Params: 5.717M' in out


def test_get_flops_on_mmseg_config(capsys, tmp_path):
    config = tmp_path / 'seg.py'
    config.write_text("_base_ = 'mmseg::segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py'\n"
                      "norm_cfg = dict(type='BN', requires_grad=True)\n"
                      'model = dict(pretrained=None, backbone=dict(init_cfg=None), '
                      'decode_head=dict(norm_cfg=norm_cfg))\n')
    get_flops_main([str(config), '--shape', '64', '64'])
    out = capsys.readouterr().out
    assert 'Counted: whole segmentor' in out and 'Flops: ' in out


def test_benchmark_runs(capsys):
    bench_main(['--arch', 'deit-tiny', '--shape', '64', '--batch', '2', '--rounds', '1', '--warmup', '0'])
    out = capsys.readouterr().out
    for name in ('DeiT', 'BAT', 'EViT-mode', 'ToMe-mode'):
        assert f'| {name}' in out
    assert '1.00x' in out


def test_get_flops_needs_a_known_scope(tmp_path):
    config = tmp_path / 'no_scope.py'
    config.write_text('model = dict(type="Linear")\n')
    with pytest.raises(ValueError, match='default_scope'):
        get_flops_main([str(config)])
