"""What the toy-experiment scripts share: training a config in a subprocess and reading a run's logged metrics.

Used by ``tools/reproduce.py``, ``tools/benchmarks/sdn_toy_seeds.py`` and
``tools/benchmarks/caev2_toy_linear_probe.py``. A run is ``tools/train.py`` in its own process (isolated: its own
torch threads and registries), with ``OMP_NUM_THREADS=1`` unless the caller's environment sets it; its metrics are
read back from the ``scalars.json`` that MMEngine's ``LocalVisBackend`` writes under
``<work_dir>/<timestamp>/vis_data/``.
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import threading
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# Serialises Config.fromfile across threads: parsing ``mmseg::`` bases (pkg_resources lookups) is not thread-safe.
CONFIG_LOCK = threading.Lock()


def tool_env(threads: Optional[int] = None) -> Dict[str, str]:
    """The environment of a tool subprocess: this checkout importable and ``OMP_NUM_THREADS`` set (default 1)."""
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO_ROOT + os.pathsep + env.get('PYTHONPATH', '')
    if threads is not None:
        env['OMP_NUM_THREADS'] = str(threads)
    env.setdefault('OMP_NUM_THREADS', '1')
    return env


def run_tool(cmd: Sequence[str], log_path: str, threads: Optional[int] = None, echo: bool = True) -> None:
    """Runs ``python <cmd...>`` from the repository root with stdout and stderr in ``log_path``.

    Raises:
        RuntimeError: if the command fails, naming the log to read.
    """
    cmd = [sys.executable, *cmd]
    if echo:
        print('$', ' '.join(cmd), flush=True)
    os.makedirs(osp.dirname(osp.abspath(log_path)), exist_ok=True)
    with open(log_path, 'w') as log:
        returncode = subprocess.run(cmd, env=tool_env(threads), stdout=log, stderr=subprocess.STDOUT,
                                    cwd=REPO_ROOT).returncode
    if returncode != 0:
        raise RuntimeError(f'{" ".join(cmd[1:3])} ... failed (exit code {returncode}); see {log_path}')


def train(config: str, run_dir: str, options: Iterable[str] = (), threads: Optional[int] = None,
          echo: bool = True) -> None:
    """``tools/train.py config --work-dir run_dir --cfg-options *options``; output in ``run_dir/train_stdout.log``."""
    options = list(options)
    cmd = [osp.join(REPO_ROOT, 'tools', 'train.py'), config, '--work-dir', run_dir]
    if options:
        cmd += ['--cfg-options', *options]
    run_tool(cmd, osp.join(run_dir, 'train_stdout.log'), threads, echo)


def parse_cfg_options(options: Sequence[str]) -> dict:
    """``key=value`` strings as mmengine's ``--cfg-options`` parses them (for ``Config.merge_from_dict``)."""
    import argparse

    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='*', action=DictAction, default={})
    return parser.parse_args(['--o', *options]).o if options else {}


def read_scalars(run_dir: str) -> List[dict]:
    """Every entry of every ``<timestamp>/vis_data/scalars.json`` under ``run_dir``, oldest run first (a resumed
    run continues in a new timestamp folder)."""
    entries = []
    for path in sorted(glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            entries += [json.loads(line) for line in f if line.strip()]
    return entries


def last_scalars(run_dir: str, key: str) -> Optional[float]:
    """The last logged value of ``key`` under ``run_dir``, or None if it was never logged."""
    values = [entry[key] for entry in read_scalars(run_dir) if key in entry]
    return float(values[-1]) if values else None


def final_metrics(run_dir: str, keys: Sequence[str], require: Optional[str] = None) -> Optional[Dict[str, float]]:
    """``keys`` of the last logged entry that holds ``require`` (default ``keys[0]``), or None if there is none."""
    require = require or keys[0]
    entries = [entry for entry in read_scalars(run_dir) if require in entry]
    if not entries:
        return None
    return {k: float(entries[-1][k]) for k in keys if k in entries[-1]}


def data_root_options(config: str, data_root: str) -> List[str]:
    """``key=data_root`` for every dataset of the config's loaders (each part of a ``ConcatDataset``, as in a
    semi-supervised config's labelled + unlabelled sets)."""
    from mmengine.config import Config
    with CONFIG_LOCK:
        cfg = Config.fromfile(config)
    options = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        parts = cfg[loader].dataset.get('datasets')
        keys = [f'{loader}.dataset.datasets.{i}' for i in range(len(parts))] if parts else [f'{loader}.dataset']
        options += [f'{key}.data_root={data_root}' for key in keys]
    return options


def mean_std(values: Sequence[float], digits: int = 2) -> str:
    """``'mean ± sample std'`` (ddof=1; 0 for a single value)."""
    std = np.std(values, ddof=1) if len(values) > 1 else 0.0
    return f'{np.mean(values):.{digits}f} ± {std:.{digits}f}'
