"""Toy CAE v2 comparison on the embedded synthetic shapes: linear probe of a CAE v2-pretrained encoder vs the same
encoder at its random initialisation, several seeds, mean ± std of top-1.

For each seed: pre-train the toy config with ``tools/train.py``; save the encoder's weights (and, as the baseline,
the weights of the same model right after ``init_weights`` with the same seed: same architecture, same fixed sin-cos
positions, no training); train the frozen-encoder linear probe on each; read the final validation accuracy from the
run's ``scalars.json``. Runs one process at a time, ``OMP_NUM_THREADS=1`` unless set, and prints a Markdown table:

    python tools/benchmarks/caev2_toy_linear_probe.py --seeds 0 1 2 --work-dir work_dirs/caev2_toy

Finished runs are reused (``--rerun`` trains them again), so an interrupted sweep resumes where it stopped.
std is the sample standard deviation (ddof=1) over seeds.
"""
import argparse
import logging
import os
import os.path as osp
import sys
from typing import List

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # run from a checkout

from tools.reproduction import runs  # noqa: E402
from tools.reproduction.runs import REPO_ROOT, last_scalars, train  # noqa: E402

PRETRAIN = osp.join('configs', 'cae_v2', 'caev2_vit-tiny-p4_1xb64-50e_synthetic-shapes-32px.py')
PROBE = osp.join('configs', 'cae_v2', 'benchmarks', 'beit-tiny-p4_1xb100-linear-30e_synthetic-shapes-32px.py')
METRIC = 'accuracy/top1'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--work-dir', default='work_dirs/caev2_toy', help='one sub-folder per run')
    parser.add_argument('--data-root', default='data/synthetic_shapes_cls_caev2', help='where the data are generated')
    parser.add_argument('--pretrain-options', nargs='*', default=[], help='extra key=value for the pre-training')
    parser.add_argument('--probe-options', nargs='*', default=[], help='extra key=value for the probes')
    parser.add_argument('--rerun', action='store_true', help='train again even if a run has finished')
    return parser.parse_args(argv)


def save_weights(state_dict: dict, path: str) -> None:
    """Plain tensors only, so that ``init_cfg=dict(type='Pretrained')`` loads them with ``weights_only=True``."""
    torch.save({'state_dict': {k: v.cpu() for k, v in state_dict.items()}}, path)


def pretrained_weights(run_dir: str, path: str) -> None:
    from mmext.utils import trusted_checkpoint_loading
    with open(osp.join(run_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    with trusted_checkpoint_loading():  # our own training checkpoint (it pickles the message hub)
        save_weights(torch.load(checkpoint, map_location='cpu', weights_only=False)['state_dict'], path)


def random_init_weights(config: str, seed: int, path: str) -> None:
    """The pre-training model right after ``init_weights``, seeded with ``seed``: the same architecture and
    initialisation scheme as the pre-trained one, without training."""
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    from mmengine.runner import set_random_seed
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(config)
    init_default_scope(cfg.default_scope)
    set_random_seed(seed)
    model = MODELS.build(cfg.model)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # init_weights logs every parameter at INFO
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    save_weights(model.state_dict(), path)


def mean_std(values: List[float]) -> str:
    return runs.mean_std(values, digits=1)


def main(argv=None) -> None:
    args = parse_args(argv)
    work_dir = osp.abspath(args.work_dir)
    data = [f'{loader}.dataset.data_root={args.data_root}' for loader in ('train_dataloader', 'val_dataloader',
                                                                           'test_dataloader')]
    results = {'CAE v2 pre-trained': [], 'random init': []}
    pretrain_losses = []
    for seed in args.seeds:
        pre_dir = osp.join(work_dir, 'pretrain', f'seed{seed}')
        if args.rerun or last_scalars(pre_dir, 'loss') is None or not osp.isfile(osp.join(pre_dir, 'last_checkpoint')):
            train(PRETRAIN, pre_dir, [f'randomness.seed={seed}', data[0], *args.pretrain_options])
        pretrain_losses.append(last_scalars(pre_dir, 'loss'))
        weights = {'CAE v2 pre-trained': osp.join(pre_dir, 'encoder.pth'),
                   'random init': osp.join(work_dir, 'random', f'seed{seed}.pth')}
        pretrained_weights(pre_dir, weights['CAE v2 pre-trained'])
        os.makedirs(osp.dirname(weights['random init']), exist_ok=True)
        random_init_weights(osp.join(REPO_ROOT, PRETRAIN), seed, weights['random init'])
        for name, path in weights.items():
            probe_dir = osp.join(work_dir, 'probe', name.split()[0].lower(), f'seed{seed}')
            accuracy = None if args.rerun else last_scalars(probe_dir, METRIC)
            if accuracy is None:
                train(PROBE, probe_dir, [f'randomness.seed={seed}', f'model.backbone.init_cfg.checkpoint={path}',
                                         *data, *args.probe_options])
                accuracy = last_scalars(probe_dir, METRIC)
            results[name].append(accuracy)
            print(f'seed {seed}: {name}: top-1 {accuracy:.1f}', flush=True)
    print(f'\nfinal pre-training loss per seed: {", ".join(f"{v:.4f}" for v in pretrain_losses)}\n')
    print(f'| encoder | {" | ".join(f"seed {s}" for s in args.seeds)} | mean ± std |')
    print(f'| --- | {" | ".join("---" for _ in args.seeds)} | --- |')
    for name, values in results.items():
        print(f'| {name} | {" | ".join(f"{v:.1f}" for v in values)} | {mean_std(values)} |')


if __name__ == '__main__':
    main()
