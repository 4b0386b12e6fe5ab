"""Multimodal affect regressor of Deng et al., "Multimodal Utterance-level Affect Analysis using Visual, Audio and
Text Features" (OMG-Emotion challenge 2018, arXiv 1805.00625; authors' code wtomin/A-Project-on-OMG-Emotion-
Challenge-2018, ``experiment/models.py``).

One encoder per modality (visual frames -> LSTM, audio functionals -> MLP, lexicon counts -> MLP), a fusion module
(concatenation = the reported early fusion, or per-branch decisions = late fusion) and a regression head, trained
jointly from scratch. A modality whose ``<name>_mask`` input is 0 for a sample (e.g. no face found) is zeroed at the
fusion, so that sample's output does not depend on that modality's values.

Shape shorthand: B = batch, T = frames, D_m = features of modality m.
"""
from typing import Dict, List, Optional, Union

from mmengine.model import BaseModel, ModuleDict
from torch import Tensor

from mmext.registry import MODELS
from ...structures import EmotionDataSample


@MODELS.register_module()
class MultiModalAffectRegressor(BaseModel):
    """Encoders per modality -> fusion -> head.

    Example (the paper's early-fusion arousal model on mmext's offline features)::

        model = dict(
            type='MultiModalAffectRegressor',
            encoders=dict(
                visual=dict(type='SeqLSTMEncoder', in_dim=1764),
                audio=dict(type='MLPEncoder', in_dim=482),
                text=dict(type='MLPEncoder', in_dim=14)),
            fusion=dict(type='ConcatFusion'),
            head=dict(type='AffectRegressionHead', targets=('arousal',)))

    A unimodal model is the same config with one encoder.

    Args:
        encoders (dict): Modality name -> encoder config; the names are the keys of ``inputs`` the model reads
            (e.g. ``visual`` (B, T, D_v), ``audio`` (B, D_a), ``text`` (B, D_t)). Every encoder exposes ``out_dim``.
        fusion (dict): Fusion config; its ``in_dims`` are filled in from the encoders, in the encoders' order.
        head (dict): Head config; its ``in_dim`` is filled in from the fusion's ``out_dim``.
        data_preprocessor (dict, optional): Default: ``MultiModalDataPreprocessor``.
        init_cfg (dict | list[dict], optional): MMEngine initialisation config.
    """

    def __init__(self,
                 encoders: Dict[str, Dict],
                 fusion: Dict = dict(type='ConcatFusion'),
                 head: Dict = dict(type='AffectRegressionHead'),
                 data_preprocessor: Optional[Dict] = None,
                 init_cfg=None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='MultiModalDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not encoders:
            raise ValueError('encoders must configure at least one modality, e.g. '
                             "dict(audio=dict(type='MLPEncoder', in_dim=482))")
        self.modalities = tuple(encoders)
        self.encoders = ModuleDict({name: MODELS.build(cfg) for name, cfg in encoders.items()})
        self.fusion = MODELS.build(dict(fusion, in_dims=[self.encoders[m].out_dim for m in self.modalities]))
        self.head = MODELS.build(dict(head, in_dim=self.fusion.out_dim))

    def extract_feat(self, inputs: Dict[str, Tensor]) -> Tensor:
        """Encodes and fuses the modalities; returns the fused features (B, D)."""
        missing = [m for m in self.modalities if m not in inputs]
        if missing:
            raise KeyError(f'inputs lack the modalities {missing} this model encodes (got {sorted(inputs)}); '
                           'load them in the pipeline (LoadCachedFeatures keys)')
        for m in self.modalities:
            expected, got = getattr(self.encoders[m], 'in_dim', None), inputs[m].shape[-1]
            if expected is not None and got != expected:
                raise ValueError(
                    f'model.encoders.{m}.in_dim is {expected} but the {m} features have {got} dimensions (e.g. 1582 '
                    f'from openSMILE IS10 instead of 482 from the numpy functionals); set model.encoders.{m}.in_dim='
                    f'{got} (--cfg-options model.encoders.{m}.in_dim={got})')
        feats = [self.encoders[m](inputs[m]) for m in self.modalities]
        masks = [inputs.get(f'{m}_mask') for m in self.modalities]
        return self.fusion(feats, masks)

    def forward(self,
                inputs: Dict[str, Tensor],
                data_samples: Optional[List[EmotionDataSample]] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], List[EmotionDataSample], Tensor]:
        """``mode='loss'``: dict of losses; ``'predict'``: samples with ``pred_<target>``; ``'tensor'``: (B, T)
        predictions."""
        if mode == 'loss' and self.training:
            sizes = {m: len(inputs[m]) for m in self.modalities if m in inputs}
            if 1 in sizes.values():
                # torch's BatchNorm refuses a single sample in training (Keras' would output its beta).
                raise ValueError('a training batch holds 1 utterance, which BatchNorm cannot normalise; the last batch '
                                 'of an epoch is len(dataset) % batch_size: set train_dataloader.drop_last=True or '
                                 'choose another train_dataloader.batch_size')
        feats = self.extract_feat(inputs)
        if mode == 'loss':
            return self.head.loss(feats, data_samples)
        if mode == 'predict':
            return self.head.predict(feats, data_samples)
        if mode == 'tensor':
            return self.head(feats)
        raise ValueError(f"mode={mode!r} is not supported; choose 'loss', 'predict' or 'tensor'.")
