"""Data sample of one utterance: ground truth and predictions of the affect dimensions."""
from mmengine.structures import BaseDataElement

AFFECT_TARGETS = ('arousal', 'valence')


class EmotionDataSample(BaseDataElement):
    """One utterance's sample.

    Meta fields: ``video``, ``utterance`` (the CSV values) and ``order_idx`` (row position in the split's gold CSV,
    which the official scoring script matches predictions by).

    Data fields (0-d float tensors, each present only when known): ``gt_arousal`` in [0, 1], ``gt_valence`` in
    [-1, 1], and the model's ``pred_arousal`` / ``pred_valence``.
    """
