from .checkpoint_compat import allow_trusted_checkpoint_loading, load_local_checkpoint, trusted_checkpoint_loading

_FLOPS_EXPORTS = ('EXTRA_FLOP_HANDLES', 'count_flops', 'flop_analyzer', 'sdpa_flop_jit')
__all__ = ['allow_trusted_checkpoint_loading', 'load_local_checkpoint', 'trusted_checkpoint_loading',
           *_FLOPS_EXPORTS]


def __getattr__(name: str):
    # The FLOP counter imports mmengine.analysis, which registration (import mmext) does not need: load it on use.
    if name in _FLOPS_EXPORTS:
        from . import flops
        return getattr(flops, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
