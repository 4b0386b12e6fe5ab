import pytest
import torch

from mmext.emotion.structures import EmotionDataSample
from mmext.registry import MODELS


def samples(n):
    out = []
    for i in range(n):
        s = EmotionDataSample()
        s.gt_arousal, s.gt_valence = torch.tensor(i / n), torch.tensor(-i / n)
        out.append(s)
    return out


def test_output_ranges_losses_and_predictions():
    head = MODELS.build(dict(type='AffectRegressionHead', in_dim=12, hidden_dim=16,
                             targets=('arousal', 'valence'), loss=dict(type='CCCLoss'), loss_weights=(1.0, 0.5)))
    x = torch.randn(6, 12) * 50
    pred = head(x)
    assert pred.shape == (6, 2)
    assert ((pred[:, 0] > 0) & (pred[:, 0] < 1)).all() and ((pred[:, 1] > -1) & (pred[:, 1] < 1)).all()
    losses = head.loss(x, samples(6))
    assert set(losses) == {'loss_arousal', 'loss_valence'}
    out = head.eval().predict(x, samples(6))
    assert out[0].pred_arousal.shape == () and 'pred_valence' in out[0]


def test_missing_ground_truth_and_bad_arguments_are_named():
    head = MODELS.build(dict(type='AffectRegressionHead', in_dim=4, hidden_dim=None))
    with pytest.raises(KeyError, match='gt_arousal'):
        head.loss(torch.randn(2, 4), [EmotionDataSample(), EmotionDataSample()])
    with pytest.raises(ValueError, match='targets'):
        MODELS.build(dict(type='AffectRegressionHead', in_dim=4, targets=('dominance', )))
    with pytest.raises(ValueError, match='one activation per target'):
        MODELS.build(dict(type='AffectRegressionHead', in_dim=4, activations=('tanh', 'tanh')))
    with pytest.raises(ValueError, match='activations'):
        MODELS.build(dict(type='AffectRegressionHead', in_dim=4, activations=('relu', )))
