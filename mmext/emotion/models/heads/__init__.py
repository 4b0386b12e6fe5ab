from .affect_regression_head import AffectRegressionHead

__all__ = ['AffectRegressionHead']
