from .augseg import AugSeg
from .imas import IMAS
from .semi_base import SemiBaseSegmentor

__all__ = ['AugSeg', 'IMAS', 'SemiBaseSegmentor']
