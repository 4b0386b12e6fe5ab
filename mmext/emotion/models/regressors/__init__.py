from .multimodal_affect_regressor import MultiModalAffectRegressor

__all__ = ['MultiModalAffectRegressor']
