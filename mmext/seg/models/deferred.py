"""Registration of mmext classes that subclass classes of ``mmseg.models`` (docs/augseg.md, section 7).

``import mmseg.models`` imports mmdet (and through it mmpretrain) when mmdet is installed, and ``import mmext.seg``
must not (``tests/test_import.py``). A subclass of an mmseg head or loss therefore lives in a module that is imported
when a config first builds it: the name is registered in mmseg's ``MODELS`` now, as a builder that imports the module
and calls the class.
"""
import importlib

from mmseg.registry import MODELS


def register_deferred(name: str, module: str) -> None:
    """Register class ``name`` of module ``module`` in mmseg's ``MODELS``; ``module`` is imported on the first build.

    The registered builder carries the class's name and module, so ``type(built).__name__`` is the config's ``type``.
    """

    def build(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__module__ = module
    build.__doc__ = f'Build ``{module}.{name}`` (its module imports mmseg.models, so it is imported at build time).'
    MODELS.register_module(name=name, module=build)
