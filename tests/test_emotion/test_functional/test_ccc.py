"""concordance_cc / pearson_cc against closed forms and an independent numpy restatement of the official script."""
import numpy as np
import pytest
import torch

from mmext.emotion.functional import concordance_cc, pearson_cc


def official_ccc(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """calculateEvaluationCCC.py (OMG-Emotion challenge, final version), restated with numpy."""
    true_mean, pred_mean = np.mean(y_true), np.mean(y_pred)
    rho = np.corrcoef(y_pred, y_true)[0, 1]
    std_true, std_pred = np.std(y_true), np.std(y_pred)
    return 2 * rho * std_true * std_pred / (std_pred**2 + std_true**2 + (pred_mean - true_mean)**2)


@pytest.mark.parametrize('seed', range(5))
def test_equals_official_formula_on_random_data(seed):
    rng = np.random.default_rng(seed)
    gt = rng.uniform(0, 1, 50)
    pred = 0.6 * gt + rng.normal(0.1, 0.2, 50)
    ours = concordance_cc(torch.from_numpy(pred), torch.from_numpy(gt)).item()
    assert ours == pytest.approx(official_ccc(gt, pred), abs=1e-12)
    assert pearson_cc(torch.from_numpy(pred), torch.from_numpy(gt)).item() == pytest.approx(
        np.corrcoef(pred, gt)[0, 1], abs=1e-12)


def test_identity_negation_and_closed_forms():
    y = torch.linspace(-1, 1, 21, dtype=torch.float64)
    centred = y - y.mean()
    assert concordance_cc(y, y).item() == pytest.approx(1.0)
    assert concordance_cc(-centred, centred).item() == pytest.approx(-1.0)
    s2, mu = y.var(unbiased=False).item(), y.mean().item()
    c = 0.3
    assert concordance_cc(y + c, y).item() == pytest.approx(2 * s2 / (2 * s2 + c**2))
    a, b = 1.7, -0.2
    expected = 2 * a * s2 / (s2 * (1 + a**2) + (b + (a - 1) * mu)**2)
    assert concordance_cc(a * y + b, y).item() == pytest.approx(expected)


def test_constant_prediction_is_zero_not_nan():
    gt = torch.rand(10, dtype=torch.float64)
    assert concordance_cc(torch.full_like(gt, 0.5), gt).item() == 0.0
    assert torch.isnan(pearson_cc(torch.full_like(gt, 0.5), gt))


def test_batched_dim_and_shape_check():
    x = torch.rand(3, 8)
    assert concordance_cc(x, x, dim=1).shape == (3, )
    with pytest.raises(ValueError, match='same shape'):
        concordance_cc(torch.rand(4), torch.rand(5))
