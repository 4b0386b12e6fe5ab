"""tools/benchmarks/bench_compile.py runs both steps and reports their ratio and Dynamo's graph-break count.

Tiny sizes: a two-layer BATViT at 16 x 16 and Dynamo without code generation (``--backend eager``); the benchmark's
real runs (both toy models, Inductor) are in the README of configs/sdn and docs/sdn.md.
"""
import re

from tools.benchmarks.bench_compile import main


def test_benchmark_reports_ratio_and_graph_breaks(capsys):
    results = main(['--models', 'bat', '--backend', 'eager', '--batch', '2', '--size', '16', '--steps', '1',
                    '--warmup', '1', '--cfg-options', 'model.backbone.arch.num_layers=2',
                    'model.backbone.reduce_layers=[1]'])
    out = capsys.readouterr().out
    assert re.search(r'bat: batch 2 at 16x16: eager .* ms, compiled .* ms, eager / compiled = \d+\.\d\d x', out), out
    assert results[0]['graphs'] >= 1 and results[0]['breaks'] >= 0
