"""Mean squared error, the loss the authors compile their model with (Deng et al., arXiv 1805.00625)."""
import torch.nn.functional as F
from torch import Tensor, nn

from mmext.registry import MODELS


@MODELS.register_module()
class MSELoss(nn.Module):
    """``loss_weight * mean((pred - target)²)`` over the batch.

    Args:
        loss_weight (float): Default: 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        """pred, target: (B,) -> scalar."""
        return self.loss_weight * F.mse_loss(pred, target)
