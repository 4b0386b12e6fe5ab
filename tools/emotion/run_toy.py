"""The toy experiment from raw files: generate the synthetic OMG data, extract and cache its features, train the
early-fusion model and its unimodal ablations for arousal and valence, and print the validation CCC table.

    python tools/emotion/run_toy.py [--data-root data/omg_synthetic] [--work-dir work_dirs/omg_toy]
                                    [--seeds 0 1 2] [--targets arousal valence] [--max-epochs N]

Each run trains with the toy config (paper-parity protocol: the checkpoint with the best validation MSE is kept)
and is then tested from that checkpoint; the table gives mean ± standard deviation over the seeds.
"""
import argparse
import json
import logging
import os.path as osp
import sys
from typing import Dict, List

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # run from a checkout

import numpy as np  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from tools.emotion import extract_features, make_synthetic_omg  # noqa: E402

CONFIG_DIR = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs', 'omg_emotion')
CONFIGS = {t: osp.join(CONFIG_DIR, f'trimodal-early-fusion_1xb32-60e_omg-synthetic-{t}.py')
           for t in ('arousal', 'valence')}
SETTINGS = {'visual + audio + text': ('visual', 'audio', 'text'), 'visual only': ('visual', ),
            'audio only': ('audio', ), 'text only': ('text', )}


def data_overrides(data_root: str) -> Dict:
    """``--cfg-options`` style overrides pointing a toy config at ``data_root``."""
    stats = osp.join(data_root, 'features', 'minmax_stats.npz')
    options = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options[f'{loader}.dataset.data_root'] = data_root
        options[f'{loader}.dataset.pipeline.1.stats_file'] = stats
    return options


def run_one(target: str, modalities: tuple, seed: int, data_root: str, work_dir: str,
            max_epochs: int = None) -> Dict[str, float]:
    cfg = Config.fromfile(CONFIGS[target])
    cfg.merge_from_dict(data_overrides(data_root))
    cfg.model.encoders = {m: cfg.model.encoders[m] for m in modalities}
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    if max_epochs is not None:
        cfg.train_cfg.max_epochs = max_epochs
    runner = Runner.from_cfg(cfg)
    runner.train()
    best = runner.message_hub.get_info('best_ckpt')
    cfg.load_from = best
    cfg.work_dir = osp.join(work_dir, 'test')
    return Runner.from_cfg(cfg).test()


def main(argv=None) -> List[dict]:
    parser = argparse.ArgumentParser(description='Synthetic OMG-Emotion: extract, train, evaluate, ablate')
    parser.add_argument('--data-root', default='data/omg_synthetic')
    parser.add_argument('--work-dir', default='work_dirs/omg_toy')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--targets', nargs='+', choices=tuple(CONFIGS), default=list(CONFIGS))
    parser.add_argument('--settings', nargs='+', choices=tuple(SETTINGS), default=list(SETTINGS))
    parser.add_argument('--max-epochs', type=int, help='override the toy schedule (for smoke runs)')
    parser.add_argument('--train-videos', type=int, default=40)
    parser.add_argument('--val-videos', type=int, default=12)
    parser.add_argument('--utterances-per-video', type=int, default=8)
    args = parser.parse_args(argv)

    make_synthetic_omg.main([args.data_root, '--train-videos', str(args.train_videos), '--val-videos',
                             str(args.val_videos), '--utterances-per-video', str(args.utterances_per_video)])
    options = [f'{k}={v}' for k, v in data_overrides(args.data_root).items()]
    extract_features.main([CONFIGS['arousal'], '--split', 'train', '--fit-stats', '--cfg-options', *options])
    extract_features.main([CONFIGS['arousal'], '--split', 'val', '--cfg-options', *options])

    records = []
    for target in args.targets:
        for setting in args.settings:
            for seed in args.seeds:
                work_dir = osp.join(args.work_dir, target, setting.replace(' + ', '_').replace(' ', '_'),
                                    f'seed{seed}')
                metrics = run_one(target, SETTINGS[setting], seed, args.data_root, work_dir, args.max_epochs)
                records.append(dict(target=target, setting=setting, seed=seed, ccc=metrics[f'omg/{target}_ccc']))
                MMLogger.get_current_instance().log(logging.WARNING, f'{target} / {setting} / seed {seed}: {metrics}')
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(records, f, indent=1)
    print(format_table(records, args.targets, args.settings, len(args.seeds)))
    return records


def format_table(records: List[dict], targets, settings, num_seeds: int) -> str:
    lines = ['| modalities | ' + ' | '.join(f'{t} CCC' for t in targets) + ' |',
             '| :--- | ' + ' | '.join(':-:' for _ in targets) + ' |']
    for setting in settings:
        cells = []
        for target in targets:
            values = [r['ccc'] for r in records if r['target'] == target and r['setting'] == setting]
            cells.append(f'{np.mean(values):.3f} ± {np.std(values):.3f}' if values else '–')
        lines.append(f'| {setting} | ' + ' | '.join(cells) + ' |')
    lines.append(f'\nvalidation CCC of the best-val-MSE checkpoint, mean ± std over {num_seeds} seeds')
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
