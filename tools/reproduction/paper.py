"""The paper suite: the published numbers of each method (``configs/paper_results.yml``) next to the metrics of real
full-scale runs found in MMEngine work dirs, and the command for every row that has no run yet."""
import json
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence

import yaml

from tools.reproduction.runs import REPO_ROOT

PAPER_RESULTS = osp.join(REPO_ROOT, 'configs', 'paper_results.yml')


@dataclass
class Run:
    """A work dir: the config it was trained with (the copy MMEngine dumps as ``<work_dir>/<config>.py``) and its
    logged entries (every ``<timestamp>/vis_data/scalars.json``, or the ``<timestamp>.json`` log, oldest first)."""
    work_dir: str
    config: str  # stem
    entries: List[dict]


def _log_entries(timestamp_dir: str) -> List[dict]:
    stamp = osp.basename(timestamp_dir)
    for path in (osp.join(timestamp_dir, 'vis_data', 'scalars.json'),
                 osp.join(timestamp_dir, 'vis_data', f'{stamp}.json'), osp.join(timestamp_dir, f'{stamp}.json')):
        if osp.isfile(path):
            with open(path) as f:
                return [json.loads(line) for line in f if line.strip()]
    return []


def find_runs(paths: Iterable[str]) -> List[Run]:
    """Every work dir under ``paths`` (each path itself or any folder below it) that holds a dumped config and a
    timestamped log."""
    found = []
    for root in paths:
        if not osp.isdir(root):
            raise FileNotFoundError(f'--work-dirs: {root!r} is not a folder')
        for folder, subfolders, files in os.walk(root):
            stamps = sorted(d for d in subfolders if re.fullmatch(r'\d{8}_\d{6}', d))
            configs = sorted(f[:-3] for f in files if f.endswith('.py'))
            if not stamps or not configs:
                continue
            entries = [e for stamp in stamps for e in _log_entries(osp.join(folder, stamp))]
            if entries:
                # One dumped config per work dir in MMEngine's layout; several means reused folders: take the newest.
                newest = max(configs, key=lambda c: osp.getmtime(osp.join(folder, c + '.py')))
                found.append(Run(osp.abspath(folder), newest, entries))
    return sorted(found, key=lambda run: (run.config, run.work_dir))


def select_value(entries: Sequence[dict], keys: Sequence[str], select: str) -> Optional[float]:
    """The run's number: the first of ``keys`` that was logged, at the validation ``select`` names.

    Args:
        entries (Sequence[dict]): logged entries, oldest first.
        keys (Sequence[str]): metric keys to try in order (e.g. ``mIoU``, ``teacher/mIoU``).
        select (str): ``'last'`` (last validation), ``'best'`` (largest value) or ``'at_min:<key>'`` (the value at
            the validation where ``<key>`` is smallest, e.g. the checkpoint with the best validation loss).
    """
    for key in keys:
        logged = [e for e in entries if key in e]
        if not logged:
            continue
        if select == 'last':
            return float(logged[-1][key])
        if select == 'best':
            return float(max(e[key] for e in logged))
        if select.startswith('at_min:'):
            by = select.split(':', 1)[1]
            scored = [e for e in logged if by in e]
            return float(min(scored, key=lambda e: e[by])[key]) if scored else None
        raise ValueError(f"select must be 'last', 'best' or 'at_min:<key>', got {select!r}")
    return None


def train_command(config: str) -> str:
    """The launch of the reference setting, from the GPU count in the config name (``8xb2``, ``2xb8+8``): a plain
    ``tools/train.py`` for one, ``dist_train.sh`` on one node, Slurm beyond 8 GPUs."""
    match = re.search(r'_(\d+)xb\d+', osp.basename(config))
    gpus = int(match.group(1)) if match else 1
    if gpus == 1:
        return f'python tools/train.py {config}'
    if gpus <= 8:
        return f'bash tools/dist_train.sh {config} {gpus}'
    return f'GPUS={gpus} GPUS_PER_NODE=8 bash tools/slurm_train.sh PARTITION JOB_NAME {config}'


def load_paper_results(path: str = PAPER_RESULTS) -> Dict[str, dict]:
    with open(path) as f:
        return yaml.safe_load(f)


def metafile_models(metafile: Optional[str]) -> List[dict]:
    """The ``Models`` of a metafile that are not toy configs (Training Data not a synthetic set)."""
    if not metafile:
        return []
    with open(osp.join(REPO_ROOT, metafile)) as f:
        models = yaml.safe_load(f).get('Models', [])
    return [m for m in models if 'synthetic' not in str(m.get('Metadata', {}).get('Training Data', '')).lower()]


def _shown_path(path: str) -> str:
    """Relative to the current folder when below it, absolute otherwise."""
    relative = osp.relpath(path)
    return path if relative.startswith('..') else relative


def _fmt(value: Optional[float], digits: int) -> str:
    return '–' if value is None else f'{value:.{digits}f}'


def method_table(method: str, spec: dict, runs: Sequence[Run]) -> List[str]:
    """Markdown lines of one method: a row per published number (and per model of the metafile without one), with
    the matching runs' numbers and the difference, or the command that would produce the run."""
    keys, select = spec['metric'], spec.get('select', 'last')
    entries = list(spec.get('results') or [])
    listed = {e['config'] for e in entries if e.get('config')}
    models = {osp.splitext(osp.basename(m['Config']))[0]: m for m in metafile_models(spec.get('metafile'))}
    entries += [{'config': stem, 'value': None} for stem in models if stem not in listed]
    paths = {osp.splitext(osp.basename(m['Config']))[0]: m['Config'] for m in models.values()}
    lines = [f'## {method}', '',
             f'Metric: {" or ".join(keys)}, {select} validation of a run; paper numbers: {spec["readme"]}' +
             (f'; {spec["note"]}' if spec.get('note') else '') + '.', '',
             '| setting | paper | this run | Δ (run − paper) | run / command |', '|---|---|---|---|---|']
    for entry in entries:
        stem, paper = entry.get('config'), entry.get('value')
        digits = 3 if paper is not None and abs(paper) < 1 else 2  # CCC in [-1, 1], percentages otherwise
        notes = [entry['note']] if entry.get('note') else []
        if stem in models and 'Baseline mIoU' in models[stem].get('Metadata', {}):
            notes.append(f"mmseg baseline {float(models[stem]['Metadata']['Baseline mIoU']):.2f}")
        label = stem or entry.get('name', '?')
        matching = [run for run in runs if stem and run.config == stem]
        if not stem:
            lines.append(f'| {label} | {_fmt(paper, digits)} | – | – | {"; ".join(notes) or "no mmext config"} |')
            continue
        if not matching:
            config = paths.get(stem, f'configs/.../{stem}.py')
            commands = [c.format(config=config) for c in spec.get('prepare', [])] + [train_command(config)]
            cell = 'not run: `' + ' && '.join(commands) + '`'
            lines.append(f'| {label} | {_fmt(paper, digits)} | – | – | ' + '; '.join([cell, *notes]) + ' |')
            continue
        for run in matching:
            ours = select_value(run.entries, keys, select)
            delta = '–' if ours is None or paper is None else f'{ours - paper:+.{digits}f}'
            where = _shown_path(run.work_dir) if ours is not None else f'{run.work_dir}: no {" / ".join(keys)} logged'
            lines.append(f'| {label} | {_fmt(paper, digits)} | {_fmt(ours, digits)} | {delta} | ' +
                         '; '.join([where, *notes]) + ' |')
    return lines


def paper_report(work_dirs: Sequence[str], paper_results: str = PAPER_RESULTS) -> str:
    """The paper tables of every method, with the runs under ``work_dirs``; runs of configs no method lists (toy
    configs, custom ones) are listed at the end with their last logged metrics."""
    specs = load_paper_results(paper_results)
    runs = find_runs(work_dirs)
    known = set()
    blocks = []
    for method, spec in specs.items():
        blocks.append('\n'.join(method_table(method, spec, runs)))
        known |= {e['config'] for e in spec.get('results') or [] if e.get('config')}
        known |= {osp.splitext(osp.basename(m['Config']))[0] for m in metafile_models(spec.get('metafile'))}
    others = [run for run in runs if run.config not in known]
    if others:
        lines = ['## Runs of configs without a paper number', '', '| config | work dir | last validation |',
                 '|---|---|---|']
        for run in others:
            validations = [e for e in run.entries if not any(k in e for k in ('loss', 'lr'))]
            last = validations[-1] if validations else {}
            shown = ', '.join(f'{k} {v:.4g}' for k, v in last.items() if isinstance(v, (int, float)) and
                              k not in ('step', 'epoch', 'iter', 'data_time', 'time'))
            lines.append(f'| {run.config} | {_shown_path(run.work_dir)} | {shown or "–"} |')
        blocks.append('\n'.join(lines))
    found = f'{len(runs)} run(s) found under {", ".join(work_dirs)}' if work_dirs else 'no --work-dirs given'
    return f'# Paper tables vs this repository\'s runs\n\n{found}.\n\n' + '\n\n'.join(blocks) + '\n'

