from .ccc_loss import CCCLoss
from .mse_loss import MSELoss

__all__ = ['CCCLoss', 'MSELoss']
