from . import transforms  # noqa: F401
from .synthetic_shapes import SyntheticShapesClassification
from .transforms import BlockwiseMaskGenerator

__all__ = ['transforms', 'SyntheticShapesClassification', 'BlockwiseMaskGenerator']
