"""The kept-pixel cross-entropy (official AugSeg / iMAS OHEM normalisation) against hand-computed values."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmext.seg  # noqa: F401
from mmext.seg.models.utils import kept_pixel_divisor

# One image, two classes, four pixels in a row. Probabilities of the true class: 1/2, 3/4, (ignored), 9/10.
LOGITS = torch.tensor([[[[0.0, 0.0, 0.0, math.log(9.0)]], [[0.0, math.log(3.0), 0.0, 0.0]]]])  # (1, 2, 1, 4)
LABEL = torch.tensor([[[0, 1, 255, 0]]])  # (1, 1, 4): (N, H, W) for the loss, (1, H, W) for a SegDataSample
CE = [math.log(2.0), math.log(4.0 / 3.0), None, math.log(10.0 / 9.0)]  # -log p of the true class


def build(cfg):
    with DefaultScope.overwrite_default_scope('mmseg'):
        return MODELS.build(cfg)


def test_divisor_by_hand():
    label = torch.tensor([[0, 1, 255, 2]])
    assert kept_pixel_divisor(label) == 3
    assert kept_pixel_divisor(label, weight=torch.tensor([[1.0, 0.0, 1.0, 1.0]])) == 2
    assert kept_pixel_divisor(label, torch.tensor([[1.0, 0.0, 1.0, 1.0]]), torch.tensor([0.5, 2.0, 3.0])) == 3.5
    assert kept_pixel_divisor(torch.full((2, 3), 255)) == 0
    with pytest.raises(ValueError, match="sampler's weight"):
        kept_pixel_divisor(label, weight=torch.ones(4))


def test_loss_divides_by_kept_pixels_by_hand():
    loss = build(dict(type='KeptPixelCrossEntropyLoss', loss_weight=2.0))
    assert type(loss).__name__ == 'KeptPixelCrossEntropyLoss' and loss.loss_name == 'loss_ce'
    label = LABEL
    kept = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]])  # a sampler that keeps pixels 0 and 1
    value = loss(LOGITS, label, weight=kept, ignore_index=255)
    assert value.item() == pytest.approx(2.0 * (CE[0] + CE[1]) / 2, rel=1e-6)
    # without a sampler: torch's mean over the three labelled pixels
    assert loss(LOGITS, label, ignore_index=255).item() == pytest.approx(2.0 * (CE[0] + CE[1] + CE[3]) / 3, rel=1e-6)


def test_head_with_ohem_sampler_averages_over_kept_pixels():
    """OHEM (thresh 0.7, min_kept 2) keeps the two pixels of lowest probability, 1/2 and 3/4 (mmseg's and the official
    selection agree here); the official loss is their mean cross-entropy, mmseg's CrossEntropyLoss(avg_non_ignore=True)
    divides their sum by the 3 labelled pixels."""
    sample = SegDataSample(gt_sem_seg=PixelData(data=LABEL))

    def head_loss(loss_decode):
        head = build(dict(type='FCNHead', in_channels=2, channels=2, num_convs=0, concat_input=False, num_classes=2,
                          sampler=dict(type='OHEMPixelSampler', thresh=0.7, min_kept=2), loss_decode=loss_decode))
        return head.loss_by_feat(LOGITS, [sample])['loss_ce'].item()

    ours = head_loss(dict(type='KeptPixelCrossEntropyLoss'))
    mmseg = head_loss(dict(type='CrossEntropyLoss', avg_non_ignore=True))
    assert ours == pytest.approx((CE[0] + CE[1]) / 2, rel=1e-6)
    assert mmseg == pytest.approx((CE[0] + CE[1]) / 3, rel=1e-6)


def test_class_weight_gives_torchs_weighted_mean():
    torch.manual_seed(0)
    logits, label = torch.randn(2, 3, 5, 6), torch.randint(0, 3, (2, 5, 6))
    label[0, 0] = 255
    kept = (torch.rand(2, 5, 6) > 0.4).float()
    class_weight = [0.5, 1.0, 2.5]
    loss = build(dict(type='KeptPixelCrossEntropyLoss', class_weight=class_weight))
    target = label.masked_fill(kept == 0, 255)  # the official OHEM: dropped pixels become ignored
    expected = F.cross_entropy(logits, target, weight=torch.tensor(class_weight), ignore_index=255)
    assert loss(logits, label, weight=kept, ignore_index=255).item() == pytest.approx(expected.item(), rel=1e-5)


def test_nothing_kept_gives_zero_not_nan():
    loss = build(dict(type='KeptPixelCrossEntropyLoss'))
    value = loss(LOGITS, LABEL, weight=torch.zeros(1, 1, 4), ignore_index=255)
    assert value.item() == 0.0


def test_sigmoid_is_refused():
    with pytest.raises(ValueError, match='use_sigmoid=False'):
        build(dict(type='KeptPixelCrossEntropyLoss', use_sigmoid=True))
