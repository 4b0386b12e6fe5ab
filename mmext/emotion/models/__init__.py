from .data_preprocessors import MultiModalDataPreprocessor
from .encoders import MLPEncoder, SeqLSTMEncoder
from .fusions import ConcatFusion, LateFusion
from .heads import AffectRegressionHead
from .losses import CCCLoss, MSELoss
from .regressors import MultiModalAffectRegressor

__all__ = [
    'AffectRegressionHead', 'CCCLoss', 'ConcatFusion', 'LateFusion', 'MLPEncoder', 'MSELoss',
    'MultiModalAffectRegressor', 'MultiModalDataPreprocessor', 'SeqLSTMEncoder'
]
