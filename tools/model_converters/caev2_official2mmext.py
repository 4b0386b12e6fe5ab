"""Convert an official CAE v2 pre-training checkpoint (Atten4Vis/CAE, T/S/B/L) into mmext's ``CAEv2`` keys.

    python tools/model_converters/caev2_official2mmext.py SRC DST [--num-heads H]

SRC: a checkpoint written by the official ``tools/run_pretraining.py --model_type caev2`` (``{'model': state_dict,
'optimizer': ..., 'args': Namespace}``; the released T/S/B/L files), or its ``model`` state dict alone. DST receives
``{'state_dict': {'backbone.*', 'neck.*'}, 'meta': {...}}``: the encoder for mmpretrain's ``CAEPretrainViT`` (and
thus for the fine-tuning, linear-probing and ADE20K configs, which read ``backbone.``), the regressor and head for
``CAEv2Neck``. The official checkpoint holds no CLIP teacher; the script prints the backbone / neck config that fits.
Nothing is downloaded.

Key map (official ``models/modeling_cae.py`` / ``modeling_cae_helper.py`` -> mmext):

    encoder.{cls_token, pos_embed}                   backbone.{cls_token, pos_embed}
    encoder.patch_embed.proj                         backbone.patch_embed.projection
    encoder.blocks.i.{norm1, norm2}                  backbone.layers.i.{ln1, ln2}
    encoder.blocks.i.attn.{qkv, q_bias, v_bias, proj}   (same names)
    encoder.blocks.i.mlp.{fc1, fc2}                  backbone.layers.i.ffn.layers.{0.0, 1}
    encoder.blocks.i.{gamma_1, gamma_2}              (same names)
    encoder.norm                                     backbone.ln1
    encoder_to_regresser(_norm)                      neck.input_proj / neck.input_norm   (Tiny only)
    mask_token                                       neck.mask_token
    regresser.regressor_blocks.i.norm1_{q,k,v}       neck.regressors.i.norm1_{q,k,v}_cross
    regresser.regressor_blocks.i.norm2_cross, cross_attn.*, gamma_{1,2}_cross   (same names)
    regresser.regressor_blocks.i.mlp_cross.{fc1, fc2}   neck.regressors.i.ffn.layers.{0.0, 1}
    decoder.{norm, head}                             neck.{norm, head}
    rd_pos_embed                                     dropped (CAEv2Neck builds the same fixed table; checked)
    regresser.norm                                   dropped (unused when model_type is caev2)
"""
import argparse
import math
import os
import os.path as osp
import pprint
import re
from collections import OrderedDict
from typing import Dict, Tuple

import torch

# Official heads per encoder width (project/CAEv2 and the CAE model registry: Tiny and Small use 12 heads).
OFFICIAL_HEADS = {192: 12, 384: 12, 768: 12, 1024: 16}

_RULES = [
    (r'^encoder\.patch_embed\.proj\.', 'backbone.patch_embed.projection.'),
    (r'^encoder\.blocks\.(\d+)\.norm1\.', r'backbone.layers.\1.ln1.'),
    (r'^encoder\.blocks\.(\d+)\.norm2\.', r'backbone.layers.\1.ln2.'),
    (r'^encoder\.blocks\.(\d+)\.mlp\.fc1\.', r'backbone.layers.\1.ffn.layers.0.0.'),
    (r'^encoder\.blocks\.(\d+)\.mlp\.fc2\.', r'backbone.layers.\1.ffn.layers.1.'),
    (r'^encoder\.blocks\.(\d+)\.(attn\.(?:qkv\.weight|q_bias|v_bias|proj\.weight|proj\.bias)|gamma_1|gamma_2)$',
     r'backbone.layers.\1.\2'),
    (r'^encoder\.norm\.', 'backbone.ln1.'),
    (r'^encoder\.(cls_token|pos_embed)$', r'backbone.\1'),
    (r'^encoder_to_regresser\.', 'neck.input_proj.'),
    (r'^encoder_to_regresser_norm\.', 'neck.input_norm.'),
    (r'^mask_token$', 'neck.mask_token'),
    (r'^regresser\.regressor_blocks\.(\d+)\.norm1_([qkv])\.', r'neck.regressors.\1.norm1_\2_cross.'),
    (r'^regresser\.regressor_blocks\.(\d+)\.mlp_cross\.fc1\.', r'neck.regressors.\1.ffn.layers.0.0.'),
    (r'^regresser\.regressor_blocks\.(\d+)\.mlp_cross\.fc2\.', r'neck.regressors.\1.ffn.layers.1.'),
    (r'^regresser\.regressor_blocks\.(\d+)\.(norm2_cross\.\w+|cross_attn\.\w+(?:\.\w+)?|gamma_[12]_cross)$',
     r'neck.regressors.\1.\2'),
    (r'^decoder\.(norm|head)\.', r'neck.\1.'),
]
_DROPPED = re.compile(r'^(rd_pos_embed|regresser\.norm\.(weight|bias))$')


def read_official_checkpoint(path: str) -> Dict[str, torch.Tensor]:
    """The model state dict of an official checkpoint, loaded on the CPU with weights only (the official files
    also pickle their ``argparse.Namespace`` of arguments, which is allowed and nothing else)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'official CAE v2 checkpoint {path!r} does not exist.')
    with torch.serialization.safe_globals([argparse.Namespace]):
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    state = checkpoint.get('model', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{path}: expected a dict with a "model" state dict (official run_pretraining.py) or a '
                         'state dict.')
    return {(k[len('module.'):] if k.startswith('module.') else k): v for k, v in state.items()}


def convert_state_dict(state: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Rename an official CAE v2 pre-training state dict to mmext's ``backbone.*`` / ``neck.*`` keys.

    Args:
        state (dict): the official ``model`` state dict (``encoder.*``, ``regresser.*``, ``decoder.*``, ...).

    Returns:
        OrderedDict[str, Tensor]: mmext keys, tensors unchanged.

    Raises:
        ValueError: on keys the map does not know (e.g. a CAE v1 checkpoint's ``alignment_encoder`` or pixel
            decoder blocks, or a fine-tuned checkpoint), listing them.
    """
    if not any(k.startswith('encoder.') for k in state):
        raise ValueError('no "encoder." keys: not an official CAE pre-training checkpoint (a fine-tuned checkpoint '
                         f'has "blocks." keys instead); first keys: {list(state)[:5]}.')
    converted, unknown = OrderedDict(), []
    for key, value in state.items():
        if _DROPPED.match(key):
            continue
        for pattern, target in _RULES:
            if re.match(pattern, key):
                converted[re.sub(pattern, target, key)] = value
                break
        else:
            unknown.append(key)
    if unknown:
        raise ValueError(f'{len(unknown)} keys are not part of an official CAE v2 pre-training checkpoint '
                         f'(CAE v1 alignment encoder or decoder blocks?): {unknown[:8]}.')
    check_regressor_table(state)
    return converted


def check_regressor_table(state: Dict[str, torch.Tensor]) -> None:
    """CAEv2Neck rebuilds the regressor's fixed sin-cos table instead of loading ``rd_pos_embed``; make sure the
    official one holds the same values, so dropping it changes nothing."""
    table = state.get('rd_pos_embed')
    if table is None:
        return
    from mmpretrain.models.utils import build_2d_sincos_position_embedding
    grid = math.isqrt(table.shape[1] - 1)
    rebuilt = build_2d_sincos_position_embedding(grid, table.shape[-1], cls_token=True)
    if not torch.allclose(table.float(), rebuilt, atol=1e-5):
        raise ValueError('the checkpoint\'s rd_pos_embed is not the 2-D sin-cos table CAEv2Neck builds; refusing '
                         'to drop it.')


def infer_configs(converted: Dict[str, torch.Tensor], num_heads: int = None) -> Tuple[dict, dict]:
    """The ``CAEPretrainViT`` and ``CAEv2Neck`` arguments that fit a converted state dict."""
    width = converted['backbone.cls_token'].shape[-1]
    num_heads = num_heads or OFFICIAL_HEADS.get(width)
    if num_heads is None:
        raise ValueError(f'encoder width {width} is not an official size; pass --num-heads.')
    layers = len({k.split('.')[2] for k in converted if k.startswith('backbone.layers.')})
    patch = converted['backbone.patch_embed.projection.weight'].shape[-1]
    num_patches = converted['backbone.pos_embed'].shape[1] - 1
    reg_width = converted['neck.mask_token'].shape[-1]
    backbone = dict(
        type='CAEPretrainViT',
        arch=dict(embed_dims=width, num_layers=layers, num_heads=num_heads,
                  feedforward_channels=converted['backbone.layers.0.ffn.layers.0.0.weight'].shape[0]),
        img_size=math.isqrt(num_patches) * patch, patch_size=patch, bias='qv_bias')
    neck = dict(
        type='CAEv2Neck', in_dims=width, embed_dims=reg_width, out_dims=converted['neck.head.weight'].shape[0],
        regressor_depth=len({k.split('.')[2] for k in converted if k.startswith('neck.regressors.')}),
        num_heads=num_heads, num_patches=num_patches)
    return backbone, neck


def convert(src: str, dst: str, num_heads: int = None) -> Tuple[dict, dict]:
    """Write the converted checkpoint of ``src`` to ``dst``; return the backbone and neck configs that fit it."""
    converted = convert_state_dict(read_official_checkpoint(src))
    backbone, neck = infer_configs(converted, num_heads)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    torch.save(dict(state_dict=converted, meta=dict(source=osp.basename(src), backbone=backbone, neck=neck)), dst)
    return backbone, neck


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='Convert an official CAE v2 pre-training checkpoint to mmext')
    parser.add_argument('src', help='official checkpoint (run_pretraining.py output or its "model" state dict)')
    parser.add_argument('dst', help='output file (.pth)')
    parser.add_argument('--num-heads', type=int, default=None,
                        help='attention heads (default: the official value for the width: T/S/B 12, L 16)')
    args = parser.parse_args(argv)
    backbone, neck = convert(args.src, args.dst, args.num_heads)
    print(f'wrote {args.dst}; it fits')
    pprint.pprint(dict(backbone=backbone, neck=neck), sort_dicts=False)


if __name__ == '__main__':
    main()
