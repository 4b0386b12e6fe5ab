from . import backbones  # noqa: F401

__all__ = ['backbones']
