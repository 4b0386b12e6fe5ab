"""Concordance correlation coefficient (Lin, Biometrics 1989), as scored by the OMG-Emotion challenge.

The challenge's ``calculateEvaluationCCC.py`` computes ``2 r s_t s_p / (s_p² + s_t² + (μ_p − μ_t)²)`` with Pearson's r
and *population* standard deviations (numpy's default ``ddof=0``). Since ``r s_t s_p`` is the population covariance,
this equals ``2 cov / (var_p + var_t + (μ_p − μ_t)²)``, the form used here: it needs no division by the standard
deviations, so a constant prediction gives 0 instead of NaN.

Shape shorthand: N = number of scored items (utterances) along the reduced dimension; ``*`` = any leading dims.
"""
import torch
from torch import Tensor


def _moments(pred: Tensor, target: Tensor, dim: int):
    mean_p, mean_t = pred.mean(dim), target.mean(dim)
    dp, dt = pred - mean_p.unsqueeze(dim), target - mean_t.unsqueeze(dim)
    return mean_p, mean_t, (dp * dt).mean(dim), (dp * dp).mean(dim), (dt * dt).mean(dim)


def concordance_cc(pred: Tensor, target: Tensor, dim: int = -1, eps: float = 0.0) -> Tensor:
    """CCC between predictions and targets along ``dim``, with population (ddof = 0) moments.

    Args:
        pred (Tensor): Predictions, shape (*, N, *).
        target (Tensor): Targets, same shape as ``pred``.
        dim (int): The dimension of the N items. Default: -1.
        eps (float): Added to the denominator. 0 (the official score) gives NaN only when both inputs are constant
            and equal in mean; a loss uses a small value so that constant predictions have finite gradients.

    Returns:
        Tensor: ``2 cov / (var_p + var_t + (μ_p − μ_t)² + eps)``, shape of ``pred`` without ``dim``.
    """
    if pred.shape != target.shape:
        raise ValueError(f'pred and target must have the same shape, got {tuple(pred.shape)} and '
                         f'{tuple(target.shape)}')
    mean_p, mean_t, cov, var_p, var_t = _moments(pred, target, dim)
    return 2 * cov / (var_p + var_t + (mean_p - mean_t)**2 + eps)


def pearson_cc(pred: Tensor, target: Tensor, dim: int = -1) -> Tensor:
    """Pearson's r along ``dim`` (NaN when either input is constant).

    Args:
        pred (Tensor): Predictions, shape (*, N, *).
        target (Tensor): Targets, same shape as ``pred``.
        dim (int): The dimension of the N items. Default: -1.

    Returns:
        Tensor: ``cov / (s_p s_t)``, shape of ``pred`` without ``dim``.
    """
    _, _, cov, var_p, var_t = _moments(pred, target, dim)
    return cov / torch.sqrt(var_p * var_t)
