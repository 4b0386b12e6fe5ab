"""Export an mmseg segmentor or mmpretrain classifier (config + checkpoint) to ONNX (design: docs/deployment.md).

    python tools/deployment/pytorch2onnx.py CONFIG [CHECKPOINT] --shape H W --out FILE [--batch-size B]
        [--sdc-export {decompose,custom}] [--opset N] [--verify] [--atol A] [--cfg-options k=v ...]

The graph takes the preprocessed batch [B, 3, H, W] (the model's data preprocessor output: channel order and
``(x - mean) / std`` applied; both are stored in the model's metadata entry ``mmext.preprocess``) and returns the
logits: [B, K, H, W] for a segmentor (resized to the input), [B, K] for a classifier. Without CHECKPOINT the
randomly initialised model is exported (to try the export). ``--verify`` runs the file in onnxruntime (CPU) on a
random batch and fails if its largest difference to PyTorch exceeds ``--atol``.
"""
import argparse
import importlib
import logging
import os.path as osp
import sys
from typing import Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # run from a checkout

import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402
from mmengine.runner import load_checkpoint  # noqa: E402

from mmext.utils.checkpoint_compat import trusted_checkpoint_loading  # noqa: E402
from mmext.utils.launch import SCOPE_ENTRIES  # noqa: E402
from mmext.utils.onnx_export import (SDC_EXPORTS, custom_nodes, export_onnx, logits_model,  # noqa: E402
                                     preprocess_metadata, verify_onnx)

EXPORT_SCOPES = ('mmseg', 'mmpretrain')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export a segmentor or classifier to ONNX')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file (omit to export random weights)')
    parser.add_argument('--shape', type=int, nargs=2, required=True, metavar=('H', 'W'), help='input height, width')
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument('--batch-size', type=int, default=1, help='batch size of the (static) input shape')
    parser.add_argument(
        '--sdc-export',
        choices=SDC_EXPORTS,
        default='decompose',
        help='semantic difference convolutions as standard ONNX operators (decompose, any runtime) or as one '
        'mmext::SemanticDiffConv2d node each (custom, runtimes with a plugin)')
    parser.add_argument('--opset', type=int, help="ONNX opset of the default domain (default: the exporter's)")
    parser.add_argument('--verify', action='store_true', help='compare onnxruntime (CPU) with PyTorch')
    parser.add_argument('--atol', type=float, default=1e-4, help='largest difference --verify accepts')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings in the config, key=value pairs')
    args = parser.parse_args(argv)
    if args.verify and args.sdc_export == 'custom':
        parser.error('--verify runs onnxruntime, which has no kernel for mmext::SemanticDiffConv2d; verify the '
                     '--sdc-export decompose file instead')
    if min(args.shape) < 1 or args.batch_size < 1:
        parser.error(f'--shape and --batch-size must be positive, got {args.shape} and {args.batch_size}')
    return args


def build_model(cfg: Config, checkpoint: Optional[str]) -> torch.nn.Module:
    """The config's model with the checkpoint's weights (strict), built in the config's scope."""
    scope = cfg.get('default_scope')
    if scope not in EXPORT_SCOPES:
        raise ValueError(f'default_scope is {scope!r}; ONNX export supports {EXPORT_SCOPES} configs (segmentors and '
                         'classifiers)')
    importlib.import_module(SCOPE_ENTRIES[scope])
    init_default_scope(scope)
    model_cfg = cfg.model
    if cfg.get('data_preprocessor') is not None:  # as the Runner does (mmpretrain configs set it at top level)
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    if checkpoint is None:
        print_log('no checkpoint given: exporting randomly initialised weights', logger='current',
                  level=logging.WARNING)
    else:
        # A file the user names on the command line is trusted, as tools/test.py CHECKPOINT is.
        with trusted_checkpoint_loading():
            load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model


def main(argv=None) -> Optional[float]:
    """Exports; returns the --verify difference (None without --verify)."""
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config!r} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    model = build_model(cfg, args.checkpoint)
    wrapper = logits_model(model)
    inputs = torch.randn(args.batch_size, 3, *args.shape, generator=torch.Generator().manual_seed(0))
    metadata = {**preprocess_metadata(getattr(model, 'data_preprocessor', None)),
                'mmext.config': osp.basename(args.config)}
    program = export_onnx(wrapper, inputs, args.out, sdc_export=args.sdc_export, opset=args.opset, metadata=metadata)
    nodes = custom_nodes(program.model_proto)
    print_log(f'saved {args.out}: {len(program.model_proto.graph.node)} nodes, {len(nodes)} mmext nodes, input '
              f'"input" {list(inputs.shape)}, output "output"', logger='current')
    if not args.verify:
        return None
    # A batch the export did not see.
    check = torch.randn(args.batch_size, 3, *args.shape, generator=torch.Generator().manual_seed(1))
    difference = verify_onnx(args.out, wrapper, check)
    print_log(f'onnxruntime vs PyTorch: max abs difference {difference:.3g} (atol {args.atol:g})', logger='current')
    if not difference <= args.atol:
        raise RuntimeError(f'onnxruntime differs from PyTorch by {difference:.3g} > --atol {args.atol:g}')
    return difference


if __name__ == '__main__':
    main()
