from . import data_preprocessors, necks, segmentors, utils  # noqa: F401

__all__ = ['data_preprocessors', 'necks', 'segmentors', 'utils']
