from .synthetic_shapes import SyntheticShapesDataset

__all__ = ['SyntheticShapesDataset']
