"""Train an mmseg, mmpretrain or mmext config with mmengine's Runner (mmseg 1.x command line).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--auto-scale-lr]
                          [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout without installing

from mmengine.device import get_device  # noqa: E402

from mmext.utils.amp import amp_optim_wrapper_cfg  # noqa: E402
from mmext.utils.launch import add_common_args, build_runner, load_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a segmentor, classifier or other model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest checkpoint in the work dir when no path is given')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: fp16 autocast with dynamic loss scaling on a GPU, bf16 autocast on a CPU')
    parser.add_argument(
        '--auto-scale-lr', action='store_true', help='scale the learning rate by the actual total batch size')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = load_config(args)
    if args.amp:
        # fp16 with loss scaling on a GPU (mmengine's AmpOptimWrapper), bf16 autocast on a CPU-only machine
        cfg.optim_wrapper = amp_optim_wrapper_cfg(cfg.optim_wrapper, get_device())
    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise ValueError('--auto-scale-lr needs auto_scale_lr = dict(base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    build_runner(cfg).train()


if __name__ == '__main__':
    main()
