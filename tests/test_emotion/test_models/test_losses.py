import pytest
import torch

from mmext.emotion.functional import concordance_cc
from mmext.registry import MODELS


def test_ccc_loss_is_one_minus_batch_ccc():
    loss = MODELS.build(dict(type='CCCLoss'))
    pred, gt = torch.rand(32, dtype=torch.float64), torch.rand(32, dtype=torch.float64)
    assert loss(pred, gt).item() == pytest.approx(1 - concordance_cc(pred, gt).item(), abs=1e-6)


def test_ccc_loss_finite_gradient_for_constant_predictions():
    pred = torch.full((8, ), 0.5, requires_grad=True)
    value = MODELS.build(dict(type='CCCLoss'))(pred, torch.rand(8))
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(pred.grad).all()
    with pytest.raises(ValueError, match='at least 2'):
        MODELS.build(dict(type='CCCLoss'))(torch.rand(1), torch.rand(1))


def test_mse_loss_weight():
    loss = MODELS.build(dict(type='MSELoss', loss_weight=2.0))
    assert loss(torch.tensor([1.0, 3.0]), torch.tensor([0.0, 0.0])).item() == pytest.approx(10.0)


def test_ccc_loss_weight():
    pred, gt = torch.rand(16, dtype=torch.float64), torch.rand(16, dtype=torch.float64)
    plain = MODELS.build(dict(type='CCCLoss'))(pred, gt)
    weighted = MODELS.build(dict(type='CCCLoss', loss_weight=0.25))(pred, gt)
    assert plain.item() > 0.1
    assert weighted.item() == pytest.approx(0.25 * plain.item(), rel=1e-12)
