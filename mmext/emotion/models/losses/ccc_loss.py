"""``1 - CCC`` over the batch, the alternative loss of Deng et al. (arXiv 1805.00625; commented out in the authors'
``experiment/train.py``, "MSE or 1-CCC" in their figure), with population moments as the challenge's score."""
from torch import Tensor, nn

from mmext.registry import MODELS
from ...functional import concordance_cc


@MODELS.register_module()
class CCCLoss(nn.Module):
    """``loss_weight * (1 - 2 cov / (var_p + var_t + (μ_p − μ_t)² + eps))`` over the batch.

    Args:
        eps (float): Keeps the loss and its gradient finite for a constant batch. Default: 1e-8.
        loss_weight (float): Default: 1.0.
    """

    def __init__(self, eps: float = 1e-8, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.eps = eps
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        """pred, target: (B,) with B >= 2 -> scalar."""
        if pred.dim() != 1 or pred.numel() < 2:
            raise ValueError(f'CCCLoss needs a batch of at least 2 scalars, shape (B,), got {tuple(pred.shape)}')
        return self.loss_weight * (1 - concordance_cc(pred, target, eps=self.eps))
