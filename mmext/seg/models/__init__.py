from . import data_preprocessors, losses, necks, segmentors, utils  # noqa: F401

__all__ = ['data_preprocessors', 'losses', 'necks', 'segmentors', 'utils']
