from . import data_preprocessors, decode_heads, losses, necks, segmentors, utils  # noqa: F401

__all__ = ['data_preprocessors', 'decode_heads', 'losses', 'necks', 'segmentors', 'utils']
