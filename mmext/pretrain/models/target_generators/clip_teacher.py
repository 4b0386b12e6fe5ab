"""CLIPTeacher: a frozen CLIP image encoder that returns every token in CLIP's output space (CAE v2's target).

CAE v2 (Zhang et al., TMLR 2023, arXiv 2211.09799; official code Atten4Vis/CAE ``clip/modeling_clip.py``,
``furnace/utils.py`` ``get_clip``) regresses all ``1 + N`` tokens of the last layer of OpenAI CLIP's image encoder
after ``ln_post`` and the projection ``proj``: ``T = LN_post(X_L) @ proj``, so ``T[:, 0]`` is CLIP's image embedding.

The network is mmpretrain's OpenAI-layout :class:`~mmpretrain.models.utils.clip_generator_helper.VisionTransformer`
(MILAN's teacher), whose ``forward`` returns exactly that. mmpretrain's ``CLIPGenerator`` is not used: it builds the
whole CLIP (text tower included) from a checkpoint at construction, so it cannot be built without the file, and it
loads non-strictly. This module builds the image tower from ``arch`` with random weights and loads a local
checkpoint (OpenAI ``.pt``, open_clip, or the output of ``tools/model_converters/clip2mmext.py``) strictly in
``init_weights``; nothing is downloaded (a URL names the file in torch's hub cache). See ``docs/cae_v2.md``.

Shape shorthand: B batch, L = 1 + N tokens (CLS + patches), C = ``output_dim``.
"""
import os.path as osp
from typing import Optional, Tuple, Union
from urllib.parse import urlparse

import torch
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from mmpretrain.models.utils.clip_generator_helper import VisionTransformer
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from ..utils.clip_checkpoint import clip_visual_state_dict, infer_clip_visual_arch, read_clip_checkpoint

CLIP_ARCHS = {
    'ViT-B/32': dict(input_resolution=224, patch_size=32, width=768, layers=12, heads=12, output_dim=512),
    'ViT-B/16': dict(input_resolution=224, patch_size=16, width=768, layers=12, heads=12, output_dim=512),
    'ViT-L/14': dict(input_resolution=224, patch_size=14, width=1024, layers=24, heads=16, output_dim=768),
}
ARCH_KEYS = ('input_resolution', 'patch_size', 'width', 'layers', 'heads', 'output_dim')


def is_url(path: Optional[str]) -> bool:
    return isinstance(path, str) and path.startswith(('http://', 'https://'))


def resolve_checkpoint(path: Optional[str]) -> str:
    """The local file a teacher checkpoint names: the path itself, or for a URL the file in torch's hub cache
    (``<torch.hub.get_dir()>/checkpoints/<basename>``, where mmengine caches downloaded weights)."""
    if not path:
        raise ValueError('the CLIP teacher\'s init_cfg has type Pretrained but no checkpoint.')
    if is_url(path):
        return osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(urlparse(path).path))
    return osp.expanduser(path)


@MODELS.register_module()
class CLIPTeacher(BaseModule):
    """Frozen CLIP ViT image encoder returning ``ln_post(tokens) @ proj`` for every token.

    The parameters never require gradients and the module stays in eval mode whatever ``train()`` is called with.

    Args:
        arch (str | dict): ``'ViT-B/16'`` (CAE v2's teacher), ``'ViT-B/32'``, ``'ViT-L/14'``, or a dict with
            ``input_resolution``, ``patch_size``, ``width``, ``layers``, ``heads``, ``output_dim``.
            Default: ``'ViT-B/16'``.
        quick_gelu (bool): the MLP activation; True for OpenAI's CLIP weights, False (GELU) for open_clip models
            trained without ``-quickgelu``. Default: True.
        half_on_gpu (bool): on CUDA, run the teacher under fp16 autocast. The official code casts the weights
            to fp16; autocast gives the same fp16 matmuls while the stored weights (and checkpoints) stay fp32.
            Default: True.
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=PATH_OR_URL)`` loads a CLIP checkpoint
            strictly (any layout accepted by :func:`clip_visual_state_dict`). A URL names the file of that name in
            torch's hub cache: nothing is downloaded. A missing file is reported when the teacher first runs
            (``FileNotFoundError`` naming it and the command that fetches it), unless a checkpoint loaded into the
            model meanwhile holds every teacher weight: mmengine's Runner initialises the weights before it resumes
            or applies ``load_from``, and CAE v2 checkpoints contain the teacher. None keeps the random
            initialisation (tests, toy runs).

    A file written by ``tools/model_converters/clip2mmext.py`` records the architecture and the activation it was
    converted for; a teacher built with another ``arch`` or ``quick_gelu`` refuses it.
    """

    def __init__(self,
                 arch: Union[str, dict] = 'ViT-B/16',
                 quick_gelu: bool = True,
                 half_on_gpu: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch not in CLIP_ARCHS:
                raise ValueError(f'arch={arch!r} is not one of {tuple(CLIP_ARCHS)}; or pass a dict with {ARCH_KEYS}.')
            arch = CLIP_ARCHS[arch]
        elif set(arch) != set(ARCH_KEYS):
            raise ValueError(f'arch dict needs exactly the keys {ARCH_KEYS}, got {tuple(arch)}.')
        if arch['input_resolution'] % arch['patch_size'] or arch['width'] % arch['heads']:
            raise ValueError(f'arch {arch}: input_resolution must be a multiple of patch_size and width a multiple '
                             'of heads.')
        self.arch = dict(arch)
        self.quick_gelu = quick_gelu
        self.half_on_gpu = half_on_gpu
        # Why the weights cannot be used yet (a missing checkpoint file), until a state dict supplies all of them.
        self._missing_weights: Optional[str] = None
        self.visual = VisionTransformer(**self.arch)
        if not quick_gelu:
            for block in self.visual.transformer.resblocks:
                block.mlp.gelu = nn.GELU()
        self.requires_grad_(False)
        super().train(False)
        self._register_load_state_dict_pre_hook(self._note_loaded_weights)

    @property
    def patch_resolution(self) -> Tuple[int, int]:
        """The teacher's patch grid (rows, columns); the student's must be the same."""
        grid = self.arch['input_resolution'] // self.arch['patch_size']
        return grid, grid

    def train(self, mode: bool = True) -> 'CLIPTeacher':
        """Stay in eval mode whatever ``mode`` is: the teacher is frozen."""
        return super().train(False)

    def init_weights(self) -> None:
        """Load the ``Pretrained`` checkpoint of ``init_cfg`` strictly, or keep the random weights."""
        if not (isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        source = self.init_cfg.get('checkpoint')
        path = resolve_checkpoint(source)
        if not osp.isfile(path):
            fetch = f' Fetch it once: wget {source} -O {path}.' if is_url(source) else ''
            self._missing_weights = (
                f'CLIP teacher checkpoint {path!r} not found. The teacher needs the weights of a CLIP image encoder '
                f'with arch {self.arch} (CAE v2: OpenAI CLIP ViT-B/16, ViT-B-16.pt) and mmext downloads nothing '
                f'while training.{fetch} Any OpenAI CLIP / open_clip checkpoint works (as is, or converted by '
                'tools/model_converters/clip2mmext.py); point the init_cfg checkpoint at it. (Resuming, load_from '
                'or a test checkpoint of a CAE v2 run needs no CLIP file: it holds the teacher.)')
            # Not an error yet: the Runner initialises weights before it resumes / loads a checkpoint, which may
            # hold the teacher. forward() raises if nothing supplied the weights by then.
            MMLogger.get_current_instance().warning(
                f'CLIPTeacher: {path!r} not found; the teacher\'s weights must come from a resumed or load_from '
                'checkpoint, or its first forward raises FileNotFoundError.')
            return
        self.load_clip_weights(path)
        self._is_init = True

    def _note_loaded_weights(self, state_dict: dict, prefix: str, *args) -> None:
        """Load-state-dict pre-hook: a state dict that holds every teacher weight supplies what a missing checkpoint
        file could not (mmengine's loader calls ``_load_from_state_dict``, which runs these hooks)."""
        if all(prefix + key in state_dict for key in self.state_dict()):
            self._missing_weights = None

    def load_clip_weights(self, path: str) -> None:
        """Load a local CLIP checkpoint into the image tower, strictly.

        Args:
            path (str): OpenAI ``.pt`` (TorchScript or state dict), open_clip checkpoint, or a file written by
                ``tools/model_converters/clip2mmext.py``.
        """
        checkpoint = read_clip_checkpoint(path)
        self.check_recorded_meta(checkpoint.get('meta'), path)
        visual = clip_visual_state_dict(checkpoint)
        found = infer_clip_visual_arch(visual, head_width=self.arch['width'] // self.arch['heads'])
        if found != self.arch:
            raise ValueError(f'{path} holds a CLIP image tower with arch {found}, but the teacher was built with '
                             f'arch {self.arch}; set the teacher\'s arch to match.')
        self.load_state_dict(visual, strict=True)
        MMLogger.get_current_instance().info(f'CLIPTeacher: loaded {len(visual)} tensors from {path}')

    def check_recorded_meta(self, meta: Optional[dict], path: str) -> None:
        """Refuse a converted file whose recorded arch or activation differs from the teacher's: the weights would
        load strictly and still give wrong tokens (the head count and the activation are not in the weights).

        Args:
            meta (dict, optional): the ``meta`` of a ``clip2mmext.py`` file (``clip_arch``, ``quick_gelu``); None
                for other checkpoints, which record neither.
            path (str): the file, for the message.
        """
        if not isinstance(meta, dict):
            return
        if 'quick_gelu' in meta and bool(meta['quick_gelu']) != self.quick_gelu:
            act = {True: 'QuickGELU', False: 'GELU'}
            raise ValueError(
                f'{path} was converted for quick_gelu={bool(meta["quick_gelu"])} ({act[bool(meta["quick_gelu"])]}), '
                f'but the teacher was built with quick_gelu={self.quick_gelu} ({act[self.quick_gelu]}); set the '
                f'teacher\'s quick_gelu={bool(meta["quick_gelu"])}, or re-convert the source with the right --gelu '
                'flag if the recorded activation is wrong.')
        recorded = meta.get('clip_arch')
        if isinstance(recorded, dict) and dict(recorded) != self.arch:
            raise ValueError(f'{path} was converted for arch {dict(recorded)}, but the teacher was built with arch '
                             f'{self.arch}; set the teacher\'s arch to the recorded one.')

    @torch.no_grad()
    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Teacher tokens of the full image.

        Args:
            x (Tensor): CLIP-normalised images, [B, 3, R, R] with R = ``input_resolution``.

        Returns:
            tuple[Tensor, Tensor]: tokens ``ln_post(X_L) @ proj``, float32 [B, L, C] (CLS first, patches in
            raster order), and the last layer's attention averaged over heads, [B, L, L].
        """
        if self._missing_weights is not None:
            raise FileNotFoundError(self._missing_weights)
        size = self.arch['input_resolution']
        if x.shape[-2:] != (size, size):
            raise ValueError(f'the CLIP teacher takes {size} x {size} images, got {tuple(x.shape[-2:])}.')
        fp16 = self.half_on_gpu and x.is_cuda
        # enabled=False also keeps an enclosing autocast (the student's AMP) away from the teacher.
        with torch.autocast(device_type=x.device.type, dtype=torch.float16, enabled=fp16):
            tokens, attention = self.visual(x if fp16 else x.float())
        return tokens.float(), attention.float()
