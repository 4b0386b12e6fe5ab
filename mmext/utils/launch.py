"""What ``tools/train.py`` and ``tools/test.py`` share: config loading, CLI overrides and the Runner's launch.

Written for mmext, modelled on the behaviour of mmseg 1.x's and mmpretrain 1.x's tools, so a stock config of either
library (plus ``custom_imports=['mmext.seg']`` or ``['mmext.pretrain']``) runs unchanged. On a machine without a
GPU, distributed launches (``torchrun``/``tools/dist_train.sh``) use the gloo backend and a CPU-friendly DDP wrapper
automatically.
"""
import argparse
import importlib
import os
import os.path as osp

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

# The mmext entry that registers the components of each default scope (see mmext/__init__.py).
SCOPE_ENTRIES = {'mmseg': 'mmext.seg', 'mmpretrain': 'mmext.pretrain', 'mmext': 'mmext.emotion'}
SUPPORTED_SCOPES = tuple(SCOPE_ENTRIES)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Arguments both tools take, with mmseg 1.x's names."""
    parser.add_argument('--work-dir', help='the directory to save logs and models')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs such as model.backbone.depth=18; a list is given as '
        'key="[a,b]" and nested lists/tuples as key="[(a,b),(c,d)]" (quotes needed, no spaces)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none', help='job launcher')
    # torchrun passes the rank through LOCAL_RANK; torch.distributed.launch passes --local-rank (or --local_rank).
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(args: argparse.Namespace) -> Config:
    """Reads the config (which runs its ``custom_imports``) and applies the CLI overrides shared by both tools.

    ``work_dir`` priority: ``--work-dir`` > the config's ``work_dir`` > ``work_dirs/<config stem>``.
    """
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config!r} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    scope = cfg.get('default_scope')
    if scope not in SUPPORTED_SCOPES:
        raise ValueError(f'{args.config}: default_scope is {scope!r}; set default_scope to one of '
                         f'{SUPPORTED_SCOPES} (mmseg for segmentation, mmpretrain for classification/self-sup)')
    # The tools register the scope's mmext components (and the trusted-checkpoint fix) even for a config whose
    # custom_imports does not name the entry.
    importlib.import_module(SCOPE_ENTRIES[scope])
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if scope == 'mmpretrain':
        apply_mmpretrain_dataloader_defaults(cfg)
    return cfg


def apply_mmpretrain_dataloader_defaults(cfg: Config) -> None:
    """mmpretrain's own tools fill in dataloader settings its configs leave out; do the same so its configs behave
    identically under mmext's tools (``default_collate`` matters: mmpretrain configs are written for it)."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if loader is None:
            continue
        loader.setdefault('collate_fn', dict(type='default_collate'))
        loader.setdefault('pin_memory', torch.cuda.is_available())
        loader.setdefault('persistent_workers', loader.get('num_workers', 0) > 0)


def prepare_cpu_distributed(cfg: Config) -> None:
    """Makes a ``--launcher pytorch`` run work without a GPU.

    mmengine's own ``init_dist`` calls ``torch.cuda.set_device``, and its default DDP wrapper passes
    ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU modules. So, with no CUDA device, the gloo group is
    initialised here (the Runner then reuses it) and the wrapper gets ``device_ids=None``.
    """
    if cfg.launcher != 'pytorch' or torch.cuda.is_available():
        return
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def build_runner(cfg: Config) -> Runner:
    """Builds the Runner the config asks for (:func:`load_config` imported the scope's mmext entry)."""
    prepare_cpu_distributed(cfg)
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)

