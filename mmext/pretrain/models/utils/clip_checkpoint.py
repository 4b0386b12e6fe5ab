"""Reading CLIP image-encoder weights (OpenAI CLIP or open_clip) into the OpenAI layout of :class:`CLIPTeacher`.

OpenAI's ``clip`` package and open_clip name the ViT image tower identically (``visual.conv1.weight``,
``visual.class_embedding``, ``visual.positional_embedding``, ``visual.ln_pre``,
``visual.transformer.resblocks.{i}.{ln_1, attn.in_proj_*, attn.out_proj, ln_2, mlp.c_fc, mlp.c_proj}``,
``visual.ln_post``, ``visual.proj``); they differ in the container: OpenAI ships TorchScript archives
(``ViT-B-16.pt``) with the text tower beside, open_clip training checkpoints wrap the state dict
(``{'state_dict': {'module.visual...'}}``), open_clip's hub files are plain state dicts (``.bin``) or
``.safetensors`` files. These functions reduce any
of them to the ``visual.*`` keys and infer the architecture; weights that do not fit the OpenAI layout (open_clip
towers with LayerScale, attention pooling, extra norms, timm trunks, or CLIP's ResNets) are refused with the keys
that do not fit.
"""
import os.path as osp
import re
import warnings
import zipfile
from collections import OrderedDict
from typing import Dict

import torch

VISUAL_PREFIX = 'visual.'
TOP_KEYS = ('conv1.weight', 'class_embedding', 'positional_embedding', 'ln_pre.weight', 'ln_pre.bias',
            'ln_post.weight', 'ln_post.bias', 'proj')
BLOCK_KEYS = ('ln_1.weight', 'ln_1.bias', 'attn.in_proj_weight', 'attn.in_proj_bias', 'attn.out_proj.weight',
              'attn.out_proj.bias', 'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias',
              'mlp.c_proj.weight', 'mlp.c_proj.bias')
_BLOCK = re.compile(r'^transformer\.resblocks\.(\d+)\.')


def read_clip_checkpoint(path: str) -> Dict[str, torch.Tensor]:
    """Load a CLIP checkpoint file on the CPU: a TorchScript archive (OpenAI), a ``.safetensors`` file (open_clip's
    hub files ``open_clip_model.safetensors``) or a pickled (state) dict.

    Args:
        path (str): local file.

    Returns:
        dict: what the file holds (a state dict, or a dict wrapping one); TorchScript archives give their
        ``state_dict()``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'CLIP checkpoint {path!r} does not exist.')
    if path.endswith('.safetensors'):
        try:
            from safetensors.torch import load_file
        except ImportError as error:
            raise ImportError(f'{path} is a .safetensors file; reading it needs the safetensors package '
                              '(pip install safetensors).') from error
        return load_file(path, device='cpu')
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            is_torchscript = any(name.endswith('/constants.pkl') for name in archive.namelist())
        if is_torchscript:
            with warnings.catch_warnings():  # torch.jit.load is deprecated, but OpenAI's files are TorchScript
                warnings.simplefilter('ignore', FutureWarning)
                return torch.jit.load(path, map_location='cpu').state_dict()
    # Plain tensors and dicts only: a CLIP checkpoint needs no code to unpickle.
    return torch.load(path, map_location='cpu', weights_only=True)


def _unwrap(checkpoint: dict) -> Dict[str, torch.Tensor]:
    for key in ('state_dict', 'model', 'module'):
        if isinstance(checkpoint.get(key), dict):
            return _unwrap(checkpoint[key])
    return {(k[len('module.'):] if k.startswith('module.') else k): v for k, v in checkpoint.items()}


def clip_visual_state_dict(checkpoint: dict) -> 'OrderedDict[str, torch.Tensor]':
    """The image tower of a CLIP checkpoint, keys in the OpenAI layout with the ``visual.`` prefix.

    Accepts a full CLIP state dict (OpenAI or open_clip; text tower ignored), a state dict of the image tower alone
    (``conv1.weight``, ...), either wrapped in ``state_dict`` / ``model`` and with DDP's ``module.`` prefixes, or
    a file written by ``tools/model_converters/clip2mmext.py``.

    Args:
        checkpoint (dict): see above.

    Returns:
        OrderedDict[str, Tensor]: ``visual.*`` keys only.

    Raises:
        ValueError: if the tower is not an OpenAI-layout ViT (keys missing or unexpected ones present).
    """
    state = _unwrap(checkpoint)
    if any(k.startswith(VISUAL_PREFIX) for k in state):
        tower = {k[len(VISUAL_PREFIX):]: v for k, v in state.items() if k.startswith(VISUAL_PREFIX)}
    elif 'conv1.weight' in state:
        tower = dict(state)
    else:
        raise ValueError('no CLIP image tower found: expected keys starting with "visual." (a CLIP state dict) '
                         f'or "conv1.weight" (the tower alone); first keys: {list(state)[:5]}.')
    layers = sorted({int(m.group(1)) for m in map(_BLOCK.match, tower) if m})
    expected = set(TOP_KEYS) | {f'transformer.resblocks.{i}.{k}' for i in layers for k in BLOCK_KEYS}
    missing, unexpected = sorted(expected - set(tower)), sorted(set(tower) - expected)
    if missing or unexpected or layers != list(range(len(layers))) or not layers:
        raise ValueError('the CLIP image tower is not an OpenAI-layout ViT (ResNet towers, timm trunks, LayerScale, '
                         'attention pooling or extra norms are not supported): '
                         f'missing {missing[:8]}, unexpected {unexpected[:8]}.')
    return OrderedDict((VISUAL_PREFIX + k, tower[k]) for k in sorted(tower))


def infer_clip_visual_arch(visual: Dict[str, torch.Tensor], head_width: int = 64) -> dict:
    """The ``arch`` of :class:`CLIPTeacher` that fits an OpenAI-layout image tower.

    Args:
        visual (dict): output of :func:`clip_visual_state_dict`.
        head_width (int): channels per attention head; weights do not record it. 64 for every OpenAI CLIP and
            the default of open_clip. Default: 64.

    Returns:
        dict: ``input_resolution``, ``patch_size``, ``width``, ``layers``, ``heads``, ``output_dim``.
    """
    width, _, patch_size, _ = visual[VISUAL_PREFIX + 'conv1.weight'].shape
    grid = round((visual[VISUAL_PREFIX + 'positional_embedding'].shape[0] - 1)**0.5)
    layers = len({m.group(1) for m in map(_BLOCK.match, (k[len(VISUAL_PREFIX):] for k in visual)) if m})
    if width % head_width:
        raise ValueError(f'width {width} is not a multiple of head_width={head_width}; pass the head width the '
                         'model was trained with.')
    return dict(input_resolution=grid * patch_size, patch_size=patch_size, width=width, layers=layers,
                heads=width // head_width, output_dim=visual[VISUAL_PREFIX + 'proj'].shape[1])
