from .concat_fusion import ConcatFusion
from .late_fusion import LateFusion

__all__ = ['ConcatFusion', 'LateFusion']
