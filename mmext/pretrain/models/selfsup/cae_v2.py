"""CAEv2: masked image modelling with the tokens of a frozen CLIP image encoder as targets.

Zhang et al., "CAE v2: Context Autoencoder with CLIP Latent Alignment", TMLR 2023 (arXiv 2211.09799); official code
Atten4Vis/CAE (``project/CAEv2``, ``models/modeling_cae.py``, ``furnace/engine_for_pretraining.py``). One step::

    z = Encoder([cls, x_vis] + P[[0] + vis])                   visible patches only, [B, 1 + V, D]
    y_cls, y_vis, y_msk = Neck(z, mask)                        regressor + shared LN/Linear, L2-normalised
    T = CLIP(img_clip)                                         full image, no gradient, [B, 1 + N, C]
    loss = mean over [cls, visible, masked] tokens of 1 - cos(y, T)

Compared with mmpretrain's CAE (v1): no DALL-E tokens, no pixel-token decoder and no momentum alignment encoder;
the encoder (:class:`~mmpretrain.models.selfsup.cae.CAEPretrainViT`) is reused unchanged. Compared with MILAN: the
teacher sees a second, CLIP-normalised view of the same crop, the masks are block-wise with a fixed count, and the
CLS and visible tokens are supervised too. See ``docs/cae_v2.md``.

Shape shorthand: B batch, N patches, V visible, M masked, D encoder width, C teacher width.
"""
from typing import Dict, List, Tuple

import torch
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor


@MODELS.register_module()
class CAEv2(BaseSelfSupervisor):
    """CAE v2 self-supervised pre-training.

    Args:
        backbone (dict): the encoder, a :class:`CAEPretrainViT` (``forward(x, mask)`` returns CLS + visible
            tokens; ``mask=None`` runs the full image).
        neck (dict): :class:`CAEv2Neck`.
        head (dict): :class:`CAEv2Head`.
        target_generator (dict): the frozen teacher, :class:`CLIPTeacher` (returns ``(tokens, attention)``).
        data_preprocessor (dict, optional): ``TwoNormDataPreprocessor`` with ImageNet mean/std for the student
            view and CLIP's for the teacher view.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, backbone: dict, neck: dict, head: dict, target_generator: dict, **kwargs) -> None:
        if target_generator is None:
            raise ValueError('CAEv2 needs target_generator (the frozen teacher, e.g. dict(type="CLIPTeacher")).')
        super().__init__(backbone=backbone, neck=neck, head=head, target_generator=target_generator, **kwargs)
        self.check_token_grids()

    def check_token_grids(self) -> None:
        """The student, the regressor and the teacher must see the same patch grid: every teacher token is the
        target of one student token. Checked at build time so that e.g. a ViT-L/14 teacher (16 x 16 at 224) with a
        patch-16 student (14 x 14) fails before any data is loaded, not at the first loss."""
        student = tuple(getattr(self.backbone, 'patch_resolution', ()))
        if len(student) != 2:
            return
        num_patches = getattr(self.neck, 'num_patches', None)
        if num_patches is not None and num_patches != student[0] * student[1]:
            raise ValueError(f'neck.num_patches={num_patches} but the backbone has a {student[0]} x {student[1]} '
                             f'patch grid; set neck.num_patches={student[0] * student[1]}.')
        teacher = getattr(self.target_generator, 'patch_resolution', None)
        if teacher is not None and tuple(teacher) != student:
            raise ValueError(
                f'the teacher (target_generator) sees a {teacher[0]} x {teacher[1]} patch grid but the student '
                f'backbone a {student[0]} x {student[1]} one; every student token needs the teacher token of the '
                'same patch. Choose target_generator.arch (input_resolution / patch_size) and the backbone\'s '
                'img_size / patch_size so that the grids match.')

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor]:
        """Encoder features of full images (no mask), as CAE v1 does.

        Args:
            inputs (Tensor): [B, 3, H, W].

        Returns:
            tuple[Tensor]: the backbone's outputs for its ``out_type`` (``'raw'``: [B, 1 + N, D]).
        """
        return self.backbone(inputs, mask=None)

    def loss(self, inputs: List[Tensor], data_samples: List[DataSample], **kwargs) -> Dict[str, Tensor]:
        """Loss of one batch.

        Args:
            inputs (list[Tensor]): the student view (ImageNet-normalised) and the teacher view of the same crop
                (CLIP-normalised), each [B, 3, H, W].
            data_samples (list[DataSample]): each with ``mask``, [h, w] or [N], True / 1 where masked; the same
                number of masked patches in every sample.

        Returns:
            dict[str, Tensor]: ``loss`` and the per-group distances of :class:`CAEv2Head`.
        """
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError('CAEv2.loss needs two views [student, teacher] (use TwoNormDataPreprocessor and '
                             'RandomResizedCropAndInterpolationWithTwoPic).')
        mask = torch.stack([sample.mask for sample in data_samples]).flatten(1).to(torch.bool)
        # The teacher first: its no-grad activations are freed before the student's, kept for backward, pile up.
        target, _ = self.target_generator(inputs[1])
        latent = self.backbone(inputs[0], mask)
        preds = self.neck(latent, mask)
        return self.head.loss(*preds, target, mask)
