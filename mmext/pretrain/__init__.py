"""Components registered into mmpretrain's registries (importing this module registers them)."""
from . import datasets, engine, models  # noqa: F401

__all__ = ['datasets', 'engine', 'models']
