"""CAEv2Head: CAE v2's latent alignment loss, 1 - cos against the teacher's tokens.

Zhang et al., "CAE v2: Context Autoencoder with CLIP Latent Alignment", TMLR 2023 (arXiv 2211.09799); official code
Atten4Vis/CAE ``furnace/engine_for_pretraining.py``: the teacher's tokens of the full image are reordered to
``[cls, visible, masked]`` and the loss is ``1 - cos`` averaged uniformly over all ``1 + V + M`` tokens of the batch::

    loss = sum_{g in S} sum_{t in g} (1 - cos(y_t, T_t)) / sum_{g in S} |g|         (group_weights=None)
    loss = sum_{g in S} w_g * mean_{t in g} (1 - cos(y_t, T_t))                    (group_weights given)

with S the supervised groups among ``cls``, ``visible`` and ``masked`` (all three in the official code). Supervising
only the visible or only the masked tokens is the paper's supervision-position ablation; the official code has no
switch for it, so ``supervise`` and ``group_weights`` are mmext's (see ``docs/cae_v2.md``).

Shape shorthand: B batch, N patches, V visible and M masked patches per image, C teacher width.
"""
from typing import Dict, Optional, Sequence

from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import Tensor

from ..utils.masked_tokens import cls_visible_masked

SUPERVISION_GROUPS = ('cls', 'visible', 'masked')


@MODELS.register_module()
class CAEv2Head(BaseModule):
    """Cosine-distance loss of CAE v2 over the CLS, visible and masked tokens.

    Args:
        loss (dict): the per-group loss, a mean over tokens of a pair of [..., C] tensors. Default:
            ``CosineSimilarityLoss(shift_factor=1, scale_factor=1)``, i.e. ``1 - cos`` (mmpretrain's MILAN/EVA
            configs use (2, 2), twice this).
        supervise (Sequence[str]): which token groups enter the loss, a non-empty subset of
            ``('cls', 'visible', 'masked')``. Default: all three (official).
        group_weights (Sequence[float], optional): one weight per entry of ``supervise``; the loss is then the
            weighted sum of the per-group means. None (default, official): every supervised token weighs the same,
            so the groups weigh in proportion to their sizes (Base 1 : 98 : 98, Tiny 1 : 166 : 30).
        init_cfg (dict, optional): unused (no parameters).

    The per-group means are also returned for logging as ``cls_dist``, ``visible_dist`` and ``masked_dist``
    (detached; their names avoid ``loss``, which mmengine would add to the total).
    """

    def __init__(self,
                 loss: dict = dict(type='CosineSimilarityLoss', shift_factor=1.0, scale_factor=1.0),
                 supervise: Sequence[str] = SUPERVISION_GROUPS,
                 group_weights: Optional[Sequence[float]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        supervise = tuple(supervise)
        unknown = set(supervise) - set(SUPERVISION_GROUPS)
        if not supervise or unknown or len(set(supervise)) != len(supervise):
            raise ValueError(f'supervise must be a non-empty subset of {SUPERVISION_GROUPS} without repeats, '
                             f'got {supervise!r}.')
        if group_weights is not None and len(group_weights) != len(supervise):
            raise ValueError(f'group_weights={tuple(group_weights)!r} needs one weight per supervised group '
                             f'{supervise!r}.')
        self.supervise = supervise
        self.group_weights = None if group_weights is None else tuple(float(w) for w in group_weights)
        self.loss_module = MODELS.build(loss)

    def loss(self, pred_cls: Tensor, pred_visible: Tensor, pred_masked: Tensor, target: Tensor,
             mask: Tensor) -> Dict[str, Tensor]:
        """Loss against the teacher's tokens of the full image.

        Args:
            pred_cls (Tensor): [B, 1, C].
            pred_visible (Tensor): [B, V, C].
            pred_masked (Tensor): [B, M, C].
            target (Tensor): the teacher's tokens in image order, CLS first, [B, 1 + N, C].
            mask (Tensor): bool, [B, N], True where masked.

        Returns:
            dict[str, Tensor]: ``loss`` and the detached per-group means ``cls_dist``, ``visible_dist``,
            ``masked_dist`` (a group without tokens is left out).
        """
        target = cls_visible_masked(target, mask)
        preds = dict(cls=pred_cls, visible=pred_visible, masked=pred_masked)
        if target.shape[1] != sum(p.shape[1] for p in preds.values()):
            raise ValueError(f'predictions have {[p.shape[1] for p in preds.values()]} (cls, visible, masked) '
                             f'tokens but the mask implies 1 + N = {target.shape[1]}.')
        targets = dict(zip(SUPERVISION_GROUPS, target.split([p.shape[1] for p in preds.values()], dim=1)))
        means = {g: self.loss_module(preds[g], targets[g]) for g in SUPERVISION_GROUPS if preds[g].shape[1] > 0}
        weights = self.group_weights or tuple(preds[g].shape[1] for g in self.supervise)
        terms = [(w, means[g]) for g, w in zip(self.supervise, weights) if g in means]
        if not terms:
            raise ValueError(f'none of the supervised groups {self.supervise!r} has tokens in this batch.')
        total = sum(w * value for w, value in terms)
        if self.group_weights is None:
            total = total / sum(w for w, _ in terms)
        losses = dict(loss=total)
        losses.update({f'{g}_dist': value.detach() for g, value in means.items()})
        return losses
