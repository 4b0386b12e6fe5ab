"""Convert the ImageNet ResNet weights of the official AugSeg / iMAS code (CPS / U2PL's ``resnet50.pth``,
``resnet101.pth``, deep stem 64-64-128) into the keys of mmseg's ``ResNetV1c`` with ``stem_channels=128``.

    python tools/model_converters/official_resnet2mmseg.py SRC DST

The official network keeps torchvision's names except for the deep stem: ``conv1`` is a Sequential of three 3x3
convolutions with their norms (``conv1.{0,1,3,4,6}``) and ``bn1`` the norm of the last one; mmseg's stem is
``stem.{0,1,3,4,6}`` + ``stem.7``. The residual layers match key for key; the ImageNet classifier (``fc``) is
dropped. SRC may be a plain state dict (the official files), a ``state_dict`` / ``model`` wrapper or carry DDP's
``module.`` prefix. DST receives ``{'state_dict': ..., 'meta': ...}`` for
``backbone.init_cfg=dict(type='Pretrained', checkpoint=DST)`` (or the segmentor's ``pretrained=DST``), and the script
prints the backbone settings that fit (docs/augseg.md, section 7). Nothing is downloaded.
"""
import argparse
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict

import torch

STEM = {'conv1.0.': 'stem.0.', 'conv1.1.': 'stem.1.', 'conv1.3.': 'stem.3.', 'conv1.4.': 'stem.4.',
        'conv1.6.': 'stem.6.', 'bn1.': 'stem.7.'}
LAYER = re.compile(r'^layer[1-4]\.\d+\.(conv[1-3]\.weight|bn[1-3]\.\w+|downsample\.[01]\.\w+)$')


def unwrap(checkpoint) -> Dict[str, torch.Tensor]:
    """The state dict of a checkpoint (itself, or its ``state_dict`` / ``model`` entry), without ``module.``."""
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
    if not isinstance(checkpoint, dict):
        raise TypeError(f'expected a state dict, got {type(checkpoint).__name__}')
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v) for k, v in checkpoint.items())


def convert_official_resnet(state_dict: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Official (torchvision names, deep stem ``conv1`` / ``bn1``) keys -> mmseg ``ResNetV1c`` keys; ``fc`` dropped.

    Raises:
        KeyError: a key of neither layout (e.g. a segmentation checkpoint with ``encoder.`` / ``decoder.`` keys, or
            a ResNet with a single 7x7 stem, which ``ResNetV1c`` cannot hold).
    """
    if 'conv1.weight' in state_dict:
        raise KeyError('conv1.weight is a single-convolution (7x7) stem: this is a torchvision / ResNetV1b checkpoint, '
                       "not the official deep-stem weights; mmseg's ResNetV1b reads it without conversion")
    converted, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        if key.startswith('fc.'):
            continue
        stem = next((prefix for prefix in STEM if key.startswith(prefix)), None)
        if stem is not None:
            converted[STEM[stem] + key[len(stem):]] = value
        elif LAYER.match(key):
            converted[key] = value
        else:
            unknown.append(key)
    if unknown:
        raise KeyError(f'{len(unknown)} keys of neither the official ResNet nor mmseg layout, e.g. {unknown[:5]}; '
                       'pass the ImageNet encoder weights (resnet50.pth / resnet101.pth of the official README)')
    if 'stem.6.weight' not in converted:
        raise KeyError('no deep stem (conv1.6.weight) found: not the official deep-stem ResNet weights')
    return converted


def backbone_settings(converted: Dict[str, torch.Tensor]) -> dict:
    """``ResNetV1c`` arguments that hold ``converted``: its depth and stem width."""
    blocks = [len({k.split('.')[1] for k in converted if k.startswith(f'layer{i}.')}) for i in range(1, 5)]
    depths = {(3, 4, 6, 3): 50, (3, 4, 23, 3): 101, (3, 8, 36, 3): 152}
    if tuple(blocks) not in depths or 'layer1.0.conv3.weight' not in converted:
        raise KeyError(f'blocks per layer {blocks}: not a bottleneck ResNet-50/101/152')
    return dict(type='ResNetV1c', depth=depths[tuple(blocks)], stem_channels=converted['stem.6.weight'].shape[0])


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert the official AugSeg/iMAS ResNet weights to mmseg keys')
    parser.add_argument('src', help='official resnet50.pth / resnet101.pth')
    parser.add_argument('dst', help='output file (.pth)')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    converted = convert_official_resnet(unwrap(torch.load(args.src, map_location='cpu', weights_only=True)))
    backbone = backbone_settings(converted)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(dict(state_dict=converted, meta=dict(source=osp.basename(args.src), backbone=backbone)), args.dst)
    print(f'wrote {args.dst} ({len(converted)} tensors); backbone settings: {backbone} and '
          f"init_cfg=dict(type='Pretrained', checkpoint={args.dst!r}) (or the segmentor's pretrained)")
    return backbone


if __name__ == '__main__':
    main()
