from . import necks  # noqa: F401

__all__ = ['necks']
