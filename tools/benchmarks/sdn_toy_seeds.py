"""Baseline vs +SDN on the embedded synthetic shapes, several seeds, mean ± std of mIoU and boundary metrics.

Trains each config once per seed with ``tools/train.py`` (one process at a time, ``OMP_NUM_THREADS=1`` unless set),
reads the final validation metrics from each run's ``scalars.json`` and prints a Markdown table:

    python tools/benchmarks/sdn_toy_seeds.py --seeds 0 1 2 --work-dir work_dirs/sdn_toy

Runs whose work dir already holds final metrics are reused (``--rerun`` trains them again), so an interrupted sweep
resumes where it stopped. std is the sample standard deviation (ddof=1) over seeds.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY = 'fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py'
DEFAULT_CONFIGS = [osp.join('configs', 'sdn', TOY), osp.join('configs', 'sdn', 'sdn-' + TOY)]
# Serialises Config.fromfile across the --jobs threads.
CONFIG_LOCK = threading.Lock()
METRICS = ('mIoU', 'mBIoU', 'mBFscore', 'aAcc')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', nargs='+', default=DEFAULT_CONFIGS, help='configs to compare')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--work-dir', default='work_dirs/sdn_toy', help='one sub-folder per config and seed')
    parser.add_argument('--data-root', default='data/synthetic_shapes', help='where the synthetic set is generated')
    parser.add_argument('--cfg-options', nargs='*', default=[], help='extra key=value overrides for every run')
    parser.add_argument('--rerun', action='store_true', help='train again even if a run has final metrics')
    parser.add_argument('--jobs', type=int, default=1, help='runs trained at the same time (one thread each)')
    return parser.parse_args(argv)


def final_metrics(run_dir: str) -> Optional[Dict[str, float]]:
    """Last validation entry of the newest ``scalars.json`` under ``run_dir``, or None if there is none."""
    for path in sorted(glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json')), reverse=True):
        with open(path) as f:
            entries = [json.loads(line) for line in f if line.strip()]
        validations = [e for e in entries if 'mIoU' in e]
        if validations:
            return {k: float(validations[-1][k]) for k in METRICS if k in validations[-1]}
    return None


def data_root_options(config: str, data_root: str) -> List[str]:
    """``key=data_root`` for every dataset of the config's loaders (each part of a ``ConcatDataset``, as in a
    semi-supervised config's labelled + unlabelled sets)."""
    with CONFIG_LOCK:  # --jobs runs call this from threads; config parsing (pkg_resources lookups) is not thread-safe
        cfg = Config.fromfile(config)
    options = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        parts = cfg[loader].dataset.get('datasets')
        keys = [f'{loader}.dataset.datasets.{i}' for i in range(len(parts))] if parts else [f'{loader}.dataset']
        options += [f'{key}.data_root={data_root}' for key in keys]
    return options


def train(config: str, seed: int, run_dir: str, data_root: str, extra: List[str]) -> None:
    options = [f'randomness.seed={seed}'] + data_root_options(config, data_root) + extra
    cmd = [sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'), config, '--work-dir', run_dir,
           '--cfg-options', *options]
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')
    print('$', ' '.join(cmd), flush=True)
    with open(osp.join(run_dir, 'train_stdout.log'), 'w') as log:
        subprocess.run(cmd, check=True, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT)


def mean_std(values: List[float]) -> str:
    return f'{np.mean(values):.2f} ± {np.std(values, ddof=1) if len(values) > 1 else 0.0:.2f}'


def main(argv=None) -> None:
    args = parse_args(argv)
    runs = [(config, seed, osp.abspath(osp.join(args.work_dir, osp.splitext(osp.basename(config))[0], f'seed{seed}')))
            for config in args.configs for seed in args.seeds]

    def run(job) -> Dict[str, float]:
        config, seed, run_dir = job
        os.makedirs(run_dir, exist_ok=True)
        metrics = None if args.rerun else final_metrics(run_dir)
        if metrics is None:
            train(config, seed, run_dir, args.data_root, args.cfg_options)
            metrics = final_metrics(run_dir)
        if metrics is None:
            raise RuntimeError(f'{run_dir}: training finished without a validation result; see train_stdout.log')
        print(f'{osp.basename(osp.dirname(run_dir))} seed {seed}: {metrics}', flush=True)
        return metrics

    # The data set is generated by the first run that needs it; later runs of the sweep reuse it.
    results = [run(runs[0])] if runs else []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results += list(pool.map(run, runs[1:]))
    table = {}
    for (config, _, _), metrics in zip(runs, results):
        table.setdefault(osp.splitext(osp.basename(config))[0], []).append(metrics)

    columns = [m for m in METRICS if all(m in r for runs in table.values() for r in runs)]
    print(f'\n{len(args.seeds)} seeds ({", ".join(map(str, args.seeds))}), mean ± sample std, last validation:\n')
    print('| config | ' + ' | '.join(columns) + ' | per-seed mIoU / mBIoU |')
    print('|---' * (len(columns) + 2) + '|')
    for name, runs in table.items():
        cells = [mean_std([r[c] for r in runs]) for c in columns]
        seeds = ', '.join(f"{r['mIoU']:.2f}/{r['mBIoU']:.2f}" if 'mBIoU' in r else f"{r['mIoU']:.2f}" for r in runs)
        print(f'| {name} | ' + ' | '.join(cells) + f' | {seeds} |')


if __name__ == '__main__':
    main()
