from .augseg import AugSeg
from .semi_base import SemiBaseSegmentor

__all__ = ['AugSeg', 'SemiBaseSegmentor']
