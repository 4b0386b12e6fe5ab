"""Custom operators (mmcv-style layout: Python wrappers here, C++/CUDA sources in ``csrc/``).

Importing this package registers ``SemanticDiffConv2d`` in MMEngine's root ``MODELS`` registry.
"""
from .sdc import SemanticDifferenceConv2d, semantic_difference_conv2d

__all__ = ['SemanticDifferenceConv2d', 'semantic_difference_conv2d']
