"""Teacher-student base for semi-supervised semantic segmentation with any mmseg encoder-decoder segmentor.

Modelled on mmdet 3.x's ``SemiBaseDetector`` (``mmdet/models/detectors/semi_base.py``): a student and a teacher are
built from one segmentor config, the teacher is frozen and updated by an exponential moving average of the student
in a hook (:class:`~mmext.seg.engine.hooks.MeanTeacherEMAHook`), the checkpoint holds both under ``student.`` and
``teacher.`` prefixes, and ``predict`` runs on the teacher unless ``semi_test_cfg.predict_on='student'``
(mmdet's ``TeacherStudentValLoop`` evaluates both). Algorithms (AugSeg, iMAS) subclass it and implement
:meth:`SemiBaseSegmentor.unsup_views` only.

One training step (``loss``), given a labelled batch ``x_l`` and a weak view ``x_w`` of an unlabelled batch:

1. ``views, targets = unsup_views(...)`` (the algorithm): teacher pseudo-labels, strong views, mixing;
2. ONE student forward on ``cat[x_l, *views]`` (batch-norm statistics depend on what shares the batch);
3. supervised losses of every head of the student (``loss_by_feat`` on the labelled slice, so mmseg's losses, OHEM
   samplers and auxiliary heads apply unchanged), times ``sup_weight``;
4. the pseudo-label loss (:func:`~mmext.seg.models.utils.pseudo_label_loss`) of the decode head on every view
   that has a target, averaged over those views, times ``unsup_weight``.

Shape shorthand: N_l = labelled images, N_u = unlabelled images, K = classes, H x W = crop size.
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.dist import get_rank
from mmengine.model import BaseModel
from mmseg.registry import MODELS
from torch import Tensor

from mmext.seg.models.utils.pseudo_labels import PseudoLabels, pseudo_label_loss
from mmext.utils.validation import check_choice

SampleList = List  # list of mmseg SegDataSample; mmseg.structures is not imported for a type alias
PREDICT_ON = ('teacher', 'student')


def merge_cfg(defaults: Dict, cfg: Optional[Dict], name: str) -> Dict:
    """``defaults`` updated by ``cfg`` (one level of nested dicts merged too); unknown keys are an error.

    Raises:
        KeyError: for a key of ``cfg`` that ``defaults`` does not have, listing the accepted keys.
    """
    merged = copy.deepcopy(defaults)
    for key, value in (cfg or {}).items():
        if key not in defaults:
            raise KeyError(f'{name} has no option {key!r}; accepted: {sorted(defaults)}')
        if isinstance(defaults[key], dict) and isinstance(value, dict):
            value = merge_cfg(defaults[key], value, f'{name}.{key}')
        merged[key] = value
    return merged


def add_prefix(losses: Dict[str, Tensor], prefix: str, weight: float = 1.0) -> Dict[str, Tensor]:
    """Prefixes loss names and multiplies the entries that are losses (names containing ``'loss'``) by ``weight``."""
    return {f'{prefix}.{name}': value * weight if 'loss' in name else value for name, value in losses.items()}


@MODELS.register_module()
class SemiBaseSegmentor(BaseModel):
    """Base of teacher-student semi-supervised segmentors (student and teacher from one segmentor config).

    The student is any mmseg segmentor with ``extract_feat`` and a single ``decode_head`` (``EncoderDecoder`` with
    or without neck and auxiliary heads; a ``CascadeEncoderDecoder`` is not supported). The teacher is a copy that
    never receives gradients and always runs in eval mode (its batch-norm statistics come from the EMA).

    Args:
        segmentor (dict): config of the mmseg segmentor used for both the student and the teacher.
        semi_train_cfg (dict, optional): training options (unknown keys raise ``KeyError``):

            - ``sup_weight`` (float): weight of the supervised losses. Default: 1.0.
            - ``unsup_weight`` (float): lambda_u, weight of the pseudo-label loss. Default: 1.0.
            - ``tau`` (float): confidence threshold of pseudo-labels; <= 0 keeps all pixels. Default: 0.95.
            - ``ignore_index`` (int): label without a target. Default: 255.
            - ``align_corners`` (bool, optional): of the bilinear resize of logits to the crop for pseudo-labels
              and the pseudo-label loss. None (default) follows the student's decode head; the AugSeg configs set
              the heads to True, as the official code resizes with ``align_corners=True``.
            - ``forward_weak_view`` (bool): also forward the weak view through the student (in the same batch, no
              loss on it), as the official ``flag_extra_weak`` does (off in every released AugSeg log; iMAS uses
              it). Default: False.
        semi_test_cfg (dict, optional): ``predict_on``: ``'teacher'`` (default) or ``'student'``, the branch that
            ``predict``, ``_forward``, ``extract_feat`` and ``encode_decode`` run on.
        strong_aug (dict, optional): config of the batch augmentation that makes the strong view from the weak one
            in pixel space (e.g. :class:`~mmext.seg.models.data_preprocessors.RandomIntensityAug`); None makes the
            strong view equal to the weak one.
        data_preprocessor (dict, optional): a
            :class:`~mmext.seg.models.data_preprocessors.MultiBranchSegDataPreprocessor` config, or a single-branch
            preprocessor config (``SegDataPreProcessor``) that is wrapped in one. Default: the segmentor's own
            ``data_preprocessor``, wrapped.
        init_cfg (dict | list[dict], optional): MMEngine initialisation config.
    """
    TRAIN_CFG_DEFAULTS: Dict = dict(
        sup_weight=1.0, unsup_weight=1.0, tau=0.95, ignore_index=255, align_corners=None, forward_weak_view=False)
    TEST_CFG_DEFAULTS: Dict = dict(predict_on='teacher')

    def __init__(self,
                 segmentor: Dict,
                 semi_train_cfg: Optional[Dict] = None,
                 semi_test_cfg: Optional[Dict] = None,
                 strong_aug: Optional[Dict] = None,
                 data_preprocessor: Optional[Dict] = None,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = segmentor.get('data_preprocessor')
            if data_preprocessor is None:
                raise ValueError('give data_preprocessor, or a segmentor with a data_preprocessor to wrap in a '
                                 'MultiBranchSegDataPreprocessor')
        if data_preprocessor.get('type') != 'MultiBranchSegDataPreprocessor':
            # A single-branch preprocessor (e.g. the one mmengine's Runner injects from a config's top-level
            # data_preprocessor) is applied to each branch.
            data_preprocessor = dict(type='MultiBranchSegDataPreprocessor', data_preprocessor=data_preprocessor)
        # Built here from mmseg's registry so that no default scope is needed (mmengine would use its root).
        super().__init__(data_preprocessor=MODELS.build(data_preprocessor), init_cfg=init_cfg)
        self.semi_train_cfg = merge_cfg(self.TRAIN_CFG_DEFAULTS, semi_train_cfg, 'semi_train_cfg')
        self.semi_test_cfg = merge_cfg(self.TEST_CFG_DEFAULTS, semi_test_cfg, 'semi_test_cfg')
        check_choice('semi_test_cfg.predict_on', self.semi_test_cfg['predict_on'], PREDICT_ON)
        # mmseg segmentors read their train_cfg/test_cfg as attribute dicts: convert a plain-dict config.
        segmentor = ConfigDict(copy.deepcopy(segmentor))
        self.student = MODELS.build(segmentor)
        self.teacher = MODELS.build(copy.deepcopy(segmentor))
        self.teacher.requires_grad_(False)
        self.teacher.eval()
        for attr in ('extract_feat', 'decode_head'):
            if not hasattr(self.student, attr):
                raise TypeError(f'segmentor {segmentor.get("type")} has no {attr}; the student must be an mmseg '
                                'encoder-decoder segmentor (e.g. EncoderDecoder)')
        if isinstance(self.student.decode_head, nn.ModuleList):
            raise TypeError('segmentors with several decode heads (CascadeEncoderDecoder) are not supported')
        self.strong_aug = MODELS.build(strong_aug) if strong_aug is not None else None
        # Training steps taken: seeds each step's augmentation draws, so a resumed run draws what an uninterrupted
        # one would (it is saved with the weights).
        self.register_buffer('semi_step', torch.zeros((), dtype=torch.int64))

    # ---------------------------------------------------------------------------------------------------- modes
    def forward(self, inputs: Union[Tensor, Dict[str, Tensor]], data_samples=None, mode: str = 'tensor'):
        """``mode='loss'`` takes multi-branch dicts (training); ``'predict'``/``'tensor'`` an image batch."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode in ('predict', 'tensor'):
            return self.predictor(inputs, data_samples, mode=mode)
        raise ValueError(f'mode must be "loss", "predict" or "tensor", got {mode!r}')

    @property
    def predictor(self) -> nn.Module:
        """The branch ``semi_test_cfg.predict_on`` names (a val loop may switch it between evaluations)."""
        predict_on = self.semi_test_cfg['predict_on']
        check_choice('semi_test_cfg.predict_on', predict_on, PREDICT_ON)
        return getattr(self, predict_on)

    def predict(self, inputs: Tensor, data_samples: Optional[SampleList] = None) -> SampleList:
        """Predictions of :attr:`predictor` with mmseg's post-processing (its ``test_cfg``: whole or slide)."""
        return self.predictor(inputs, data_samples, mode='predict')

    def _forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None) -> Tensor:
        return self.predictor(inputs, data_samples, mode='tensor')

    def extract_feat(self, inputs: Tensor) -> Sequence[Tensor]:
        return self.predictor.extract_feat(inputs)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        return self.predictor.encode_decode(inputs, batch_img_metas)

    def train(self, mode: bool = True) -> 'SemiBaseSegmentor':
        super().train(mode)
        self.teacher.eval()
        return self

    # ---------------------------------------------------------------------------------------------------- training
    def loss(self, multi_batch_inputs: Dict[str, Tensor], multi_batch_data_samples: Dict[str, SampleList]) -> Dict:
        """Supervised + pseudo-label losses of one step.

        Args:
            multi_batch_inputs (dict[str, Tensor]): ``'sup'``: ``(N_l, 3, H, W)`` labelled images; ``'unsup'``:
                ``(N_u, 3, H, W)`` weak views of unlabelled images (preprocessed, same H x W).
            multi_batch_data_samples (dict[str, list]): the matching ``SegDataSample`` lists; only the labelled
                ones carry ground truth.

        Returns:
            dict[str, Tensor]: ``sup.<head>.<loss>`` (mmseg's head losses, e.g. ``sup.decode.loss_ce``,
            ``sup.aux.loss_ce``), ``unsup.loss_ce`` and the logged share of valid pseudo-label pixels
            ``unsup.pseudo_ratio``.
        """
        sup_inputs, sup_samples = multi_batch_inputs['sup'], multi_batch_data_samples['sup']
        unsup_inputs = multi_batch_inputs['unsup']
        if sup_inputs.shape[-2:] != unsup_inputs.shape[-2:]:
            raise ValueError(f'labelled ({tuple(sup_inputs.shape[-2:])}) and unlabelled '
                             f'({tuple(unsup_inputs.shape[-2:])}) batches differ in size; give the data '
                             'preprocessor a fixed size=(H, W) (the crop size) so both are padded alike')
        rng = self.step_rng()
        self.semi_step += 1
        views, targets = self.unsup_views(sup_inputs, sup_samples, unsup_inputs, rng)
        logits = self.student_logits(torch.cat([sup_inputs, *views]))
        num_sup = sup_inputs.shape[0]
        cfg = self.semi_train_cfg
        losses = {}
        for name, head in self.student_heads().items():
            head_losses = head.loss_by_feat(logits[name][:num_sup], sup_samples)
            losses.update(add_prefix(head_losses, f'sup.{name}', cfg['sup_weight']))
        view_logits = logits['decode'][num_sup:].split([view.shape[0] for view in views])
        unsup = [
            pseudo_label_loss(self.resize(view, target.label.shape[-2:]), target, cfg['tau'], cfg['ignore_index'])
            for view, target in zip(view_logits, targets) if target is not None
        ]
        if not unsup:
            raise RuntimeError(f'{type(self).__name__}.unsup_views returned no target for any view')
        losses['unsup.loss_ce'] = cfg['unsup_weight'] * torch.stack([loss for loss, _ in unsup]).mean()
        losses['unsup.pseudo_ratio'] = torch.stack([ratio for _, ratio in unsup]).mean()
        return losses

    def unsup_views(self, sup_inputs: Tensor, sup_samples: SampleList, unsup_inputs: Tensor,
                    rng: np.random.Generator) -> Tuple[List[Tensor], List[Optional[PseudoLabels]]]:
        """The algorithm: student inputs made from the unlabelled batch, and their targets.

        Args:
            sup_inputs (Tensor): ``(N_l, 3, H, W)`` labelled images.
            sup_samples (list): their data samples (``gt_sem_seg`` padded to H x W).
            unsup_inputs (Tensor): ``(N_u, 3, H, W)`` weak views.
            rng (np.random.Generator): this step's host random generator (see :meth:`step_rng`).

        Returns:
            tuple[list[Tensor], list[PseudoLabels | None]]: views ``(N_v, 3, H, W)`` forwarded with the labelled
            batch in one student pass, and one target per view (None: the view gets no loss).
        """
        raise NotImplementedError(f'{type(self).__name__} must implement unsup_views')

    def step_rng(self) -> np.random.Generator:
        """The host random generator of this step: a function of the run's seed, the rank and the step count.

        The seed is ``torch.initial_seed()``, which mmengine sets from ``randomness.seed`` (the same on every rank
        unless ``diff_rank_seed``); the rank makes the draws differ between GPUs.
        """
        return np.random.default_rng([torch.initial_seed(), get_rank(), int(self.semi_step)])

    # ---------------------------------------------------------------------------------------------------- helpers
    def student_heads(self) -> Dict[str, nn.Module]:
        """The student's heads with mmseg's loss prefixes: ``decode``, then ``aux`` or ``aux_0``, ``aux_1``..."""
        heads = {'decode': self.student.decode_head}
        aux = getattr(self.student, 'auxiliary_head', None)
        if isinstance(aux, nn.ModuleList):
            heads.update({f'aux_{i}': head for i, head in enumerate(aux)})
        elif aux is not None:
            heads['aux'] = aux
        return heads

    def student_logits(self, inputs: Tensor) -> Dict[str, Tensor]:
        """One student forward (train mode): ``{head: (N, K, h, w)}`` at each head's output resolution."""
        feats = self.student.extract_feat(inputs)
        return {name: head(feats) for name, head in self.student_heads().items()}

    def resize(self, logits: Tensor, size: Sequence[int]) -> Tensor:
        """Bilinear resize of ``(N, K, h, w)`` logits to ``size`` with ``semi_train_cfg.align_corners``."""
        align_corners = self.semi_train_cfg['align_corners']
        if align_corners is None:
            align_corners = self.student.decode_head.align_corners
        if tuple(logits.shape[-2:]) == tuple(size):
            return logits
        return F.interpolate(logits, size=tuple(size), mode='bilinear', align_corners=align_corners)

    @torch.no_grad()
    def eval_logits(self, model: nn.Module, inputs: Tensor) -> Tensor:
        """Decode-head logits of ``model`` (teacher or student) in eval mode, without gradients, at the input size.

        The model's train/eval mode is restored afterwards. This is the head forward on the crop, not ``predict``
        (which would apply the test-time slide mode).

        Returns:
            Tensor: ``(N, K, H, W)`` logits.
        """
        was_training = model.training
        model.eval()
        logits = model.decode_head(model.extract_feat(inputs))
        model.train(was_training)
        return self.resize(logits, inputs.shape[-2:])

    def teacher_probs(self, inputs: Tensor) -> Tensor:
        """``(N, K, H, W)`` teacher softmax probabilities on ``inputs`` (no gradients)."""
        return self.eval_logits(self.teacher, inputs).softmax(dim=1)

    def strong_view(self, inputs: Tensor, rng: np.random.Generator, magnitude: Optional[Tensor] = None) -> Tensor:
        """The strong view of a preprocessed batch: ``strong_aug`` applied in RGB pixel space, re-normalised.

        Geometry is shared with ``inputs`` (the augmentation is intensity-only), so the views stay pixel-aligned.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` preprocessed weak views.
            rng (np.random.Generator): host random generator for the augmentation draws.
            magnitude (Tensor, optional): ``(N,)`` per-image strength scale passed to ``strong_aug``.

        Returns:
            Tensor: ``(N, 3, H, W)`` preprocessed strong views (``inputs`` itself when there is no ``strong_aug``).
        """
        if self.strong_aug is None:
            return inputs
        preprocessor = self.data_preprocessor
        with torch.no_grad():
            pixels = self.strong_aug(preprocessor.to_rgb_pixels(inputs), rng, magnitude)
            return preprocessor.from_rgb_pixels(pixels).to(inputs.dtype)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict, strict: bool,
                              missing_keys: List[str], unexpected_keys: List[str], error_msgs: List[str]) -> None:
        """Loads a plain segmentor checkpoint (no ``student.``/``teacher.`` keys) into both branches."""
        own = [key for key in state_dict if key.startswith(prefix)]
        branch_prefixes = (prefix + 'student.', prefix + 'teacher.')
        if own and not any(key.startswith(branch_prefixes) for key in own):
            for key in own:
                value = state_dict.pop(key)
                name = key[len(prefix):]
                state_dict[prefix + 'student.' + name] = value
                state_dict[prefix + 'teacher.' + name] = value
            state_dict.setdefault(prefix + 'semi_step', self.semi_step.clone())
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)
