"""DeiT (keep rate 1) vs BAT, EViT-mode and ToMe-mode at one keep rate on Fashion-MNIST, several seeds.

BAT's fine-tune setting: one trained DeiT (``configs/bat/deit_vit-mini-p4_1xb128-12e_fashion-mnist-28px.py``, trained
first if its checkpoint is missing) is fine-tuned with
``configs/bat/bat_vit-mini-p4-kr0.7_1xb128-2e-ft_fashion-mnist-56px.py`` once per variant and seed with
``tools/train.py`` (``OMP_NUM_THREADS=1`` per run, ``--jobs`` runs at a time). The script reads each run's final
top-1 on the 10,000 test images, counts each variant's FLOPs with mmext's counter (attention and the reduction
included) and prints a Markdown table with mean ± sample std and, for every reduced variant, the equal-variance t-test
against the DeiT control fine-tuned the same way::

    python tools/dataset_converters/fashion_mnist.py      # data/fashion_mnist, offline
    python tools/benchmarks/bat_fashion_mnist_seeds.py --seeds 0 1 2 --jobs 2 --work-dir work_dirs/bat_fashion_mnist

Runs whose work dir holds a final top-1 are reused, so an interrupted sweep resumes.
"""
import argparse
import os
import os.path as osp
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # run from a checkout

from tools.reproduction import runs  # noqa: E402
from tools.reproduction.report import noise_statement  # noqa: E402
from tools.reproduction.runs import mean_std  # noqa: E402

CONFIG = osp.join('configs', 'bat', 'bat_vit-mini-p4-kr0.7_1xb128-2e-ft_fashion-mnist-56px.py')
PRETRAIN = osp.join('configs', 'bat', 'deit_vit-mini-p4_1xb128-12e_fashion-mnist-28px.py')
METRIC = 'accuracy/top1'


def variants(keep_rate: float) -> Dict[str, List[str]]:
    """Row name -> overrides; DeiT first (the baseline)."""
    return {
        'DeiT (keep rate 1)': ['model.backbone.keep_rate=1.0'],
        f'BAT ({keep_rate})': [f'model.backbone.keep_rate={keep_rate}', 'model.backbone.mode=bat'],
        f'EViT-mode ({keep_rate})': [f'model.backbone.keep_rate={keep_rate}', 'model.backbone.mode=evit'],
        f'ToMe-mode ({keep_rate})': [f'model.backbone.keep_rate={keep_rate}', 'model.backbone.mode=tome'],
    }


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CONFIG, help='the fine-tune config')
    parser.add_argument('--pretrain-config', default=PRETRAIN, help='trains the DeiT whose checkpoint is load_from')
    parser.add_argument('--keep-rate', type=float, default=0.7)
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--work-dir', default='work_dirs/bat_fashion_mnist', help='one sub-folder per run')
    parser.add_argument('--data-root', default='data/fashion_mnist', help='raw Fashion-MNIST IDX files')
    parser.add_argument('--jobs', type=int, default=2, help='runs trained at the same time (one thread each)')
    return parser.parse_args(argv)


def count_gflops(config: str, overrides: List[str]) -> float:
    """GFLOPs of one grey image through backbone and neck (``extract_feat``), as get_flops counts them."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import mmext.pretrain  # noqa: F401
    from mmext.utils import count_flops
    with runs.CONFIG_LOCK:
        cfg = Config.fromfile(config)
    cfg.merge_from_dict(runs.parse_cfg_options(overrides))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):  # a caller's scope (e.g. mmseg) must not leak in
        model = MODELS.build(cfg.model).eval()
    model.forward = model.extract_feat
    size = cfg.model.backbone.img_size
    return count_flops(model, input_shape=(cfg.model.backbone.in_channels, size, size))['flops'] / 1e9


def main(argv=None) -> None:
    args = parse_args(argv)
    rows = variants(args.keep_rate)
    baseline = next(iter(rows))
    data = [f'{loader}.dataset.data_root={args.data_root}' for loader in ('train_dataloader', 'val_dataloader')]
    with runs.CONFIG_LOCK:
        from mmengine.config import Config
        checkpoint = osp.join(runs.REPO_ROOT, Config.fromfile(args.config).load_from)
    if not osp.isfile(checkpoint):
        runs.train(args.pretrain_config, osp.dirname(checkpoint), data)
    pretrained = runs.final_metrics(osp.dirname(checkpoint), [METRIC])

    def run(job) -> Optional[float]:
        name, seed = job
        run_dir = osp.abspath(osp.join(args.work_dir, name.split()[0].lower(), f'seed{seed}'))
        os.makedirs(run_dir, exist_ok=True)
        result = runs.final_metrics(run_dir, [METRIC])
        if result is None:
            options = rows[name] + data + [f'randomness.seed={seed}']
            runs.train(args.config, run_dir, options)
            result = runs.final_metrics(run_dir, [METRIC])
        return result[METRIC]

    jobs = [(name, seed) for seed in args.seeds for name in rows]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = dict(zip(jobs, pool.map(run, jobs)))
    flops = {name: count_gflops(args.config, overrides) for name, overrides in rows.items()}
    base_values = [results[baseline, s] for s in args.seeds]
    if pretrained:
        print(f'\nthe trained DeiT before fine-tuning ({checkpoint}): top-1 {pretrained[METRIC]:.2f} at 28 x 28')
    print(f'\n{len(args.seeds)} seeds ({", ".join(map(str, args.seeds))}); top-1 on the 10,000 test images; '
          'mean ± sample std; Δ against DeiT with the equal-variance t-test at 5 %\n')
    print('| model | top-1 (%) | Δ top-1 | GFLOPs | FLOPs vs DeiT |')
    print('| :--- | :-: | :--- | :-: | :-: |')
    for name in rows:
        values = [results[name, s] for s in args.seeds]
        delta = '–' if name == baseline else noise_statement(values, base_values)
        print(f'| {name} | {mean_std(values)} | {delta} | {flops[name]:.4f} | '
              f'{flops[name] / flops[baseline]:.3f} |')
    print('\nper seed: ' + '; '.join(f'{n}: ' + ', '.join(f'{results[n, s]:.2f}' for s in args.seeds) for n in rows))


if __name__ == '__main__':
    main()
