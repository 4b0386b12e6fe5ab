from .synthetic_shapes import SyntheticShapesClassification

__all__ = ['SyntheticShapesClassification']
