"""The ``mmext.emotion`` entry: the multimodal emotion regressor on mmext's own registries (``mmext.registry``,
scope ``'mmext'``). Imports mmengine only: no mmcv, mmseg, mmpretrain or mmdet."""
from mmext.utils import amp  # noqa: F401  (registers CPUAmpOptimWrapper, which tools/train.py --amp uses on a CPU)
from mmext.utils.checkpoint_compat import allow_trusted_checkpoint_loading
from . import datasets, engine, evaluation, functional, models, structures  # noqa: F401

allow_trusted_checkpoint_loading()

__all__ = ['datasets', 'engine', 'evaluation', 'functional', 'models', 'structures']
