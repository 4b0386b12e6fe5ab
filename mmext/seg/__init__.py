"""Components registered into mmseg's registries (importing this module registers them)."""
from . import datasets, evaluation, models  # noqa: F401

__all__ = ['datasets', 'evaluation', 'models']
