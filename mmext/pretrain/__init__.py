"""The ``mmext.pretrain`` entry: components registered into mmpretrain's registries (importing this module registers
them). Imports mmpretrain (which itself imports mmdet.models), never mmseg."""
from mmext.utils import amp  # noqa: F401  (registers CPUAmpOptimWrapper, which tools/train.py --amp uses on a CPU)
from mmext.utils.checkpoint_compat import allow_trusted_checkpoint_loading
from . import datasets, engine, models  # noqa: F401

allow_trusted_checkpoint_loading()

__all__ = ['datasets', 'engine', 'models']
