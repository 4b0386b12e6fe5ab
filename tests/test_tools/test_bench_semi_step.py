"""tools/benchmarks/bench_semi_step.py runs and reports both steps and the augmentation share (tiny sizes)."""
import re

from tools.benchmarks.bench_semi_step import main


def test_benchmark_reports_ratios(capsys):
    main(['--size', '48', '--batch', '2', '--rounds', '1', '--warmup', '0'])
    out = capsys.readouterr().out
    assert re.search(r'AugSeg step .* = \d+\.\d\d x supervised', out), out
    share = float(re.search(r'= (\d+\.\d) % of the AugSeg step', out).group(1))
    assert 0 < share < 100
