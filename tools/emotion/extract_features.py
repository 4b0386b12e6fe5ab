"""Extract and cache the per-utterance features of one OMG-Emotion split (faces, audio functionals, lexicon
counts) with the config's ``extract_pipeline``; optionally fit the min-max statistics on the training split.

    python tools/emotion/extract_features.py CONFIG [--split train|val|test] [--fit-stats] [--workers N]
                                             [--on-error skip|raise] [--cfg-options k=v ...]

The split's dataset is the config's ``<split>_dataloader.dataset``; each utterance is written atomically to its
``feature_path`` (``{data_root}/{cache_dir}/{video}/{stem}.npz``). Utterances already cached are skipped, so an
interrupted run continues where it stopped and produces the same cache. Utterances whose media are missing or
unreadable are skipped, counted and listed in ``{cache_dir}/extraction_failures.json``; a missing face or silent
audio is not a failure (the modality is cached with its mask at 0). ``--fit-stats`` then writes the per-dimension
min and max over the split's cache to the ``stats_file`` of the config's ``MinMaxNormalize``
(run it on the training split).
"""
import argparse
import json
import multiprocessing
import os
import os.path as osp
import sys
from typing import List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # run from a checkout

import numpy as np  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.dataset import Compose  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

import mmext.emotion  # noqa: E402,F401
from mmext.emotion.datasets.transforms import ExtractionError, fit_min_max, read_feature_cache  # noqa: E402
from mmext.registry import DATASETS  # noqa: E402

CACHED_KEYS = ('visual', 'visual_mask', 'audio', 'audio_mask', 'text', 'text_embedding')
_pipeline = None  # one per (worker) process


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Extract and cache OMG-Emotion utterance features')
    parser.add_argument('config', help='an emotion config (its extract_pipeline and <split>_dataloader.dataset)')
    parser.add_argument('--split', choices=('train', 'val', 'test'), default='train', help='which dataloader')
    parser.add_argument('--fit-stats', action='store_true',
                        help="fit the min-max statistics on this split's cache (use on the training split)")
    parser.add_argument('--workers', type=int, default=0, help='extraction processes (0: in this process)')
    parser.add_argument('--on-error', choices=('skip', 'raise'), default='skip',
                        help='an utterance with missing/unreadable media is skipped and counted, or raises')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings, key=value pairs')
    return parser.parse_args(argv)


def save_atomic(path: str, arrays: dict) -> None:
    """Writes an ``.npz`` through a temporary file in the same folder, so a killed run leaves no partial cache."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    tmp = osp.join(osp.dirname(path), f'.{osp.basename(path)}.{os.getpid()}.tmp')
    with open(tmp, 'wb') as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


def _init_worker(pipeline_cfg: list) -> None:
    global _pipeline
    init_default_scope('mmext')
    _pipeline = Compose(pipeline_cfg)


def extract_one(item: dict) -> Tuple[dict, Optional[str]]:
    """Runs the pipeline on one utterance and caches it; returns the item and the failure reason (or None)."""
    try:
        results = _pipeline(dict(item))
    except ExtractionError as err:
        return item, str(err)
    save_atomic(item['feature_path'], {k: np.asarray(results[k]) for k in CACHED_KEYS if k in results})
    return item, None


def find_stats_file(cfg: Config) -> str:
    """The ``stats_file`` of the ``MinMaxNormalize`` in the training pipeline."""
    for step in cfg.train_dataloader.dataset.get('pipeline', []):
        if step.get('type') == 'MinMaxNormalize':
            return step['stats_file']
    raise ValueError('--fit-stats: the training pipeline has no MinMaxNormalize step to take stats_file from')


def fit_stats(items: List[dict], stats_file: str) -> None:
    """Min and max per dimension of every cached key over the split, leaving out masked modalities (visual of
    utterances without a face, audio of silent ones)."""
    arrays = {}
    for item in items:
        if not osp.isfile(item['feature_path']):
            continue
        cache = read_feature_cache(item['feature_path'])
        for key, value in cache.items():
            if key.endswith('_mask') or not cache.get(f'{key}_mask', 1):
                continue
            arrays.setdefault(key, []).append(value)
    if not arrays:
        raise RuntimeError('--fit-stats found no cached features for this split; extract them first')
    stats = {}
    for key, values in arrays.items():
        fitted = fit_min_max(values)
        stats[f'{key}_min'], stats[f'{key}_max'] = fitted['min'], fitted['max']
    save_atomic(stats_file, stats)
    print_log(f'min-max statistics of {sorted(arrays)} written to {stats_file}', logger='current')


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if 'extract_pipeline' not in cfg:
        raise KeyError(f'{args.config} has no extract_pipeline; see configs/_base_/datasets/omg_emotion.py')
    init_default_scope('mmext')
    dataset_cfg = dict(cfg[f'{args.split}_dataloader'].dataset, require_features=False, pipeline=[], lazy_init=True)
    dataset = DATASETS.build(dataset_cfg)
    items = dataset.load_annotations()
    cache_root = dataset.data_path(dataset.cache_dir)
    todo = [item for item in items if not osp.isfile(item['feature_path'])]
    print_log(f'{args.split}: {len(items)} utterances, {len(items) - len(todo)} already cached, extracting '
              f'{len(todo)} into {cache_root}', logger='current')
    failures = []
    if todo:
        progress = ProgressBar(len(todo))
        if args.workers > 0:
            pool = multiprocessing.Pool(args.workers, _init_worker, (cfg.extract_pipeline, ))
            outcomes = pool.imap_unordered(extract_one, todo)
        else:
            pool = None
            _init_worker(cfg.extract_pipeline)
            outcomes = map(extract_one, todo)
        try:
            for item, reason in outcomes:
                if reason is not None:
                    if args.on_error == 'raise':
                        raise ExtractionError(reason)
                    failures.append(dict(video=item['video'], utterance=item['utterance'], reason=reason))
                progress.update()
        finally:
            if pool is not None:
                pool.terminate()
        sys.stdout.write('\n')
    os.makedirs(cache_root, exist_ok=True)
    with open(osp.join(cache_root, 'extraction_failures.json'), 'w') as f:
        json.dump(failures, f, indent=1)
    summary = dict(total=len(items), cached=len(items) - len(todo), extracted=len(todo) - len(failures),
                   failed=len(failures))
    print_log(f'{args.split}: {summary}' + (f'; failures, e.g. {failures[0]["reason"]} (all in '
                                              f'{cache_root}/extraction_failures.json)' if failures else ''),
              logger='current')
    if args.fit_stats:
        fit_stats(items, find_stats_file(cfg))
    return summary


if __name__ == '__main__':
    main()
