"""The ``mmext.ops`` entry: custom operators (mmcv-style layout: Python wrappers here, C++/CUDA sources in ``csrc/``).

Importing this package registers ``SemanticDiffConv2d`` in MMEngine's root ``MODELS`` registry, so configs of every
scope can build it. Imports torch and mmengine only.
"""
from mmext.utils.checkpoint_compat import allow_trusted_checkpoint_loading
from .sdc import SemanticDifferenceConv2d, semantic_difference_conv2d

allow_trusted_checkpoint_loading()

__all__ = ['SemanticDifferenceConv2d', 'semantic_difference_conv2d']
