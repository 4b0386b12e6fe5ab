"""Convert an OpenAI CLIP or open_clip checkpoint into the image-tower file that mmext's ``CLIPTeacher`` loads.

    python tools/model_converters/clip2mmext.py SRC DST [--head-width 64] [--gelu] [--fp32]

SRC: OpenAI's ``ViT-B-16.pt`` (TorchScript archive) or a state dict of it, an open_clip checkpoint (training
checkpoint with ``state_dict`` / ``module.`` prefixes, ``open_clip_pytorch_model.bin`` or
``open_clip_model.safetensors``), or the image tower alone.
DST receives ``{'state_dict': {'visual.*': ...}, 'meta': {'clip_arch': ..., 'quick_gelu': ...}}`` (the text tower is
dropped) and the script prints the ``CLIPTeacher`` config that fits it. Weights keep their dtype (OpenAI's are fp16)
unless ``--fp32``. Nothing is downloaded. ``CLIPTeacher`` also reads SRC directly; converting shrinks the file and
checks the layout once, offline.

Weights do not record the head width nor the activation: OpenAI CLIP uses 64 and QuickGELU; open_clip models use
GELU unless their name ends in ``-quickgelu`` or they are OpenAI's weights (pass ``--gelu`` for GELU).
"""
import argparse
import os
import os.path as osp
import pprint

import torch

from mmext.pretrain.models.utils.clip_checkpoint import (clip_visual_state_dict, infer_clip_visual_arch,
                                                         read_clip_checkpoint)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert a CLIP checkpoint into an mmext CLIPTeacher file')
    parser.add_argument('src', help='OpenAI CLIP .pt, open_clip checkpoint, or image-tower state dict')
    parser.add_argument('dst', help='output file (.pth)')
    parser.add_argument('--head-width', type=int, default=64, help='channels per attention head (64 for CLIP)')
    parser.add_argument('--gelu', action='store_true', help='the model uses GELU, not QuickGELU (open_clip)')
    parser.add_argument('--fp32', action='store_true', help='store the weights in float32')
    return parser.parse_args(argv)


def convert(src: str, dst: str, head_width: int = 64, quick_gelu: bool = True, fp32: bool = False) -> dict:
    """Write the image tower of ``src`` to ``dst``; return the ``CLIPTeacher`` config that loads it."""
    visual = clip_visual_state_dict(read_clip_checkpoint(src))
    if fp32:
        visual = type(visual)((k, v.float()) for k, v in visual.items())
    arch = infer_clip_visual_arch(visual, head_width)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    torch.save(dict(state_dict=visual, meta=dict(clip_arch=arch, quick_gelu=quick_gelu, source=osp.basename(src))),
               dst)
    return dict(type='CLIPTeacher', arch=arch, quick_gelu=quick_gelu,
                init_cfg=dict(type='Pretrained', checkpoint=dst))


def main(argv=None) -> None:
    args = parse_args(argv)
    teacher = convert(args.src, args.dst, args.head_width, not args.gelu, args.fp32)
    print(f'wrote {args.dst}; teacher config:')
    pprint.pprint(teacher, sort_dicts=False)


if __name__ == '__main__':
    main()
