"""Teacher confidence rho on hand-built probability maps; normalisation of the pseudo-label loss."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmext.seg.models.utils.pseudo_labels import PseudoLabels, pseudo_label_loss, teacher_confidence


def test_rho_on_hand_built_maps():
    k = 4
    probs = torch.zeros(3, k, 2, 2)
    probs[0, 1] = 1.0  # one-hot everywhere: entropy 0, max 1 -> rho 1
    probs[1] = 1.0 / k  # uniform: normalised entropy 1 -> rho 0
    # image 2: two one-hot pixels and two pixels at (0.5, 0.5, 0, 0): entropy log 2 / log 4 = 1/2, max 1/2.
    probs[2, 2, 0] = 1.0
    probs[2, 0, 1] = 0.5
    probs[2, 3, 1] = 0.5
    conf, label, rho = teacher_confidence(probs)
    torch.testing.assert_close(rho, torch.tensor([1.0, 0.0, (1 + 1 + 0.25 + 0.25) / 4]), atol=1e-6, rtol=0)
    assert torch.equal(label[0], torch.ones(2, 2, dtype=torch.long))
    torch.testing.assert_close(conf[2], torch.tensor([[1.0, 1.0], [0.5, 0.5]]))


def test_loss_averages_over_all_pixels():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 3, 4)
    label = torch.randint(0, 5, (2, 3, 4))
    conf = torch.zeros(2, 3, 4)
    zero, ratio = pseudo_label_loss(logits, PseudoLabels(label, conf), threshold=0.95)
    assert zero.item() == 0 and ratio.item() == 0
    conf[1, 2, 3] = 0.97  # a single confident pixel: its CE over all B*H*W pixels
    loss, ratio = pseudo_label_loss(logits, PseudoLabels(label, conf), threshold=0.95)
    ce = F.cross_entropy(logits[1:2, :, 2, 3], label[1:2, 2, 3])
    torch.testing.assert_close(loss, ce / (2 * 3 * 4))
    assert ratio.item() == pytest.approx(1 / 24)


def test_ignore_label_and_threshold_at_or_below_zero():
    torch.manual_seed(1)
    logits = torch.randn(2, 3, 4, 4)
    label = torch.randint(0, 3, (2, 4, 4))
    label[0, 0] = 255
    conf = torch.rand(2, 4, 4)
    loss, ratio = pseudo_label_loss(logits, PseudoLabels(label, conf), threshold=-0.7)
    keep = label != 255
    expected = F.cross_entropy(logits, label.masked_fill(~keep, 255), ignore_index=255, reduction='sum') / 32
    torch.testing.assert_close(loss, expected)
    assert ratio.item() == pytest.approx(keep.float().mean().item())


def test_image_weights():
    torch.manual_seed(2)
    logits = torch.randn(3, 4, 5, 5)
    target = PseudoLabels(torch.randint(0, 4, (3, 5, 5)), torch.rand(3, 5, 5))
    plain, _ = pseudo_label_loss(logits, target, 0.5)
    ones, _ = pseudo_label_loss(logits, target._replace(weight=torch.ones(3)), 0.5)
    torch.testing.assert_close(ones, plain)
    weighted, _ = pseudo_label_loss(logits, target._replace(weight=torch.tensor([0.0, 1.0, 2.0])), 0.5)
    per_image = [pseudo_label_loss(logits[i:i + 1], PseudoLabels(target.label[i:i + 1], target.conf[i:i + 1]), 0.5)[0]
                 for i in range(3)]
    torch.testing.assert_close(weighted, (per_image[1] + 2 * per_image[2]) / 3)
    assert not math.isclose(weighted.item(), plain.item())
