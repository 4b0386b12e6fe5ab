"""A data preprocessor for multi-branch (labelled / unlabelled) batches of segmentation data.

mmdet's ``MultiBranchDataPreprocessor`` wraps a detection preprocessor and groups the branches that mmdet's
``MultiBranch`` transform produces; this is its segmentation counterpart, written for mmseg's
``SegDataPreprocessor``: it also gives unlabelled samples an all-ignore label map (mmseg's ``stack_batch`` needs one
in training mode, and it guarantees that no ground truth of an unlabelled image reaches a loss), and it converts
normalised batches back to RGB pixel values and forth, for augmentations that work in pixel space.
"""
from typing import Dict, Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class MultiBranchSegDataPreprocessor(BaseDataPreprocessor):
    """Preprocesses each branch of a multi-branch batch with one mmseg ``SegDataPreprocessor``.

    In training, ``data['inputs']`` and ``data['data_samples']`` are dicts ``{branch: [item or None, ...]}`` as
    collated from mmdet's ``MultiBranch`` transform (``type='mmdet.MultiBranch'`` in a pipeline); ``None`` items
    (samples of another source) are dropped and each branch is stacked, padded and normalised on its own, giving
    ``{'inputs': {branch: (N_b, 3, H, W)}, 'data_samples': {branch: [SegDataSample]}}``. Anything else (validation,
    test) goes to the wrapped preprocessor unchanged.

    Args:
        data_preprocessor (dict): config of the wrapped preprocessor, normally the segmentor's
            ``SegDataPreprocessor`` (its ``mean``, ``std``, ``bgr_to_rgb``/``rgb_to_bgr`` and ``size`` apply to every
            branch).
        unlabeled_branches (Sequence[str]): branches whose samples get an all-``seg_pad_val`` label map, replacing
            any loaded one. Default: ``('unsup',)``.
    """

    def __init__(self, data_preprocessor: Dict, unlabeled_branches: Sequence[str] = ('unsup', )) -> None:
        super().__init__()
        if not isinstance(data_preprocessor, dict):
            raise TypeError('data_preprocessor must be the config dict of a SegDataPreprocessor, got '
                            f'{type(data_preprocessor).__name__}')
        self.data_preprocessor = MODELS.build(data_preprocessor)
        self.unlabeled_branches = tuple(unlabeled_branches)
        self.ignore_index = data_preprocessor.get('seg_pad_val', 255)
        mean, std = data_preprocessor.get('mean'), data_preprocessor.get('std')
        self.normalized = mean is not None
        self.register_buffer('pixel_mean', torch.tensor(mean if mean else [0.0]).view(-1, 1, 1), False)
        self.register_buffer('pixel_std', torch.tensor(std if std else [1.0]).view(-1, 1, 1), False)
        # mmcv loads images as BGR; a channel conversion in the preprocessor makes the batch RGB.
        self.batch_is_rgb = bool(data_preprocessor.get('bgr_to_rgb', False) or
                                 data_preprocessor.get('rgb_to_bgr', False))

    def forward(self, data: Dict, training: bool = False) -> Dict:
        """Preprocesses a multi-branch training batch branch by branch, anything else as the wrapped one does."""
        if not isinstance(data.get('inputs'), dict):
            return self.data_preprocessor(data, training)
        inputs, samples = {}, {}
        for branch, branch_inputs in data['inputs'].items():
            pairs = [(x, s) for x, s in zip(branch_inputs, data['data_samples'][branch]) if x is not None]
            if not pairs:
                continue
            branch_inputs, branch_samples = (list(items) for items in zip(*pairs))
            if branch in self.unlabeled_branches:
                for x, sample in zip(branch_inputs, branch_samples):
                    sample.gt_sem_seg = PixelData(
                        data=torch.full((1, *x.shape[-2:]), self.ignore_index, dtype=torch.int64))
            batch = self.data_preprocessor(dict(inputs=branch_inputs, data_samples=branch_samples), training)
            inputs[branch], samples[branch] = batch['inputs'], batch['data_samples']
        return dict(inputs=inputs, data_samples=samples)

    def to_rgb_pixels(self, inputs: Tensor) -> Tensor:
        """Undoes the normalisation: ``(N, 3, H, W)`` preprocessed batch -> RGB values on the uint8 grid.

        Padding (0 after normalisation) becomes the mean colour, rounded. Without a channel conversion the batch is
        taken to be BGR (mmcv's loading order) and flipped.
        """
        pixels = inputs * self.pixel_std + self.pixel_mean if self.normalized else inputs
        if not self.batch_is_rgb:
            pixels = pixels.flip(1)
        return pixels.round().clamp_(0, 255)

    def from_rgb_pixels(self, pixels: Tensor) -> Tensor:
        """The inverse of :meth:`to_rgb_pixels`: RGB pixel values -> the preprocessed (normalised) layout."""
        if not self.batch_is_rgb:
            pixels = pixels.flip(1)
        return (pixels - self.pixel_mean) / self.pixel_std if self.normalized else pixels

    # BaseDataPreprocessor tracks its device in ``_device`` and only updates it in its own ``to``/``cuda``/``cpu``;
    # forward these to the wrapped preprocessor so that it moves its batches to the model's device.
    def to(self, *args, **kwargs) -> 'MultiBranchSegDataPreprocessor':
        self.data_preprocessor.to(*args, **kwargs)
        return super().to(*args, **kwargs)

    def cuda(self, device: Optional[Union[int, torch.device]] = None) -> 'MultiBranchSegDataPreprocessor':
        self.data_preprocessor.cuda(device)
        return super().cuda(device)

    def cpu(self, *args, **kwargs) -> 'MultiBranchSegDataPreprocessor':
        self.data_preprocessor.cpu(*args, **kwargs)
        return super().cpu(*args, **kwargs)
