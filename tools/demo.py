"""The README's main job: train a small segmentor on the embedded synthetic data, evaluate it, print the result.

    python tools/demo.py [--config CONFIG] [--work-dir DIR] [--cfg-options k=v ...]

Runs on one CPU in a few minutes with no downloads; the data is generated under ``data/`` on first use.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout without installing

from mmext.utils.launch import add_common_args, build_runner, load_config  # noqa: E402

DEFAULT_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs/demo/fcn_r18-d8_1xb8-400iter_synthetic-64x64.py')


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='an mmseg config (default: %(default)s)')
    add_common_args(parser)
    args = parser.parse_args(argv)
    cfg = load_config(args)
    start = time.perf_counter()
    runner = build_runner(cfg)
    runner.train()
    metrics = runner.test()
    minutes = (time.perf_counter() - start) / 60
    scores = ', '.join(f'{k} {float(v):.2f}' for k, v in metrics.items())
    print(f'RESULT {osp.basename(args.config)}: {scores} '
          f'({cfg.train_cfg.max_iters} iterations, {minutes:.1f} min, work dir {cfg.work_dir})')


if __name__ == '__main__':
    main()
