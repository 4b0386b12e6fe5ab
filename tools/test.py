"""Test (and evaluate) a checkpoint with mmengine's Runner (mmseg 1.x command line).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out DIR|FILE.pkl] [--show] [--show-dir DIR]
                         [--wait-time S] [--tta] [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout without installing

from mmengine.config import Config, ConfigDict  # noqa: E402

from mmext.utils.launch import add_common_args, build_runner, load_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out',
        help='segmentation: directory for the predicted label maps (PNG); other tasks: a .pkl file to dump '
        'the predictions to')
    parser.add_argument('--show', action='store_true', help='show prediction results in a window')
    parser.add_argument('--show-dir', help='directory where painted images are saved')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument('--tta', action='store_true', help='test time augmentation (cfg.tta_pipeline/tta_model)')
    add_common_args(parser)
    return parser.parse_args(argv)


def enable_visualization(cfg: Config, args: argparse.Namespace) -> None:
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        raise RuntimeError('--show/--show-dir need a "visualization" entry in default_hooks (for mmseg configs: '
                           "dict(type='SegVisualizationHook')); add it to the config")
    hook['draw'] = True
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        cfg.visualizer['save_dir'] = args.show_dir
        if cfg.default_scope == 'mmseg':
            hook['interval'] = 1


def enable_tta(cfg: Config) -> None:
    if 'tta_pipeline' not in cfg or 'tta_model' not in cfg:
        raise RuntimeError('--tta needs tta_pipeline and tta_model in the config')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model


def save_outputs(cfg: Config, out: str) -> None:
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]
    if cfg.default_scope == 'mmseg':
        # IoUMetric writes prediction PNGs to output_dir and, with keep_results, keeps them after formatting.
        for evaluator in evaluators:
            evaluator['output_dir'] = out
            evaluator['keep_results'] = True
    elif out.endswith(('.pkl', '.pickle')):
        cfg.test_evaluator = [*evaluators, ConfigDict(type='DumpResults', out_file_path=out)]
    else:
        raise ValueError(f'--out must be a .pkl file for non-segmentation configs, got {out!r}')


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.tta:
        enable_tta(cfg)
    if args.out is not None:
        save_outputs(cfg, args.out)
    build_runner(cfg).test()


if __name__ == '__main__':
    main()
