"""The ``mmext.seg`` entry: components registered into mmseg's registries (importing this module registers them).

Imports mmseg (and mmcv, mmengine) and mmext's SDC op, never mmpretrain.
"""
from mmext import ops  # noqa: F401  (SDNNeck builds SemanticDiffConv2d from the registry)
from mmext.utils import amp  # noqa: F401  (registers CPUAmpOptimWrapper, which tools/train.py --amp uses on a CPU)
from mmext.utils.checkpoint_compat import allow_trusted_checkpoint_loading
from . import datasets, engine, evaluation, models  # noqa: F401

allow_trusted_checkpoint_loading()

__all__ = ['datasets', 'engine', 'evaluation', 'models']
