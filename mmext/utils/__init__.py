from .checkpoint_compat import (allow_trusted_checkpoint_loading, load_local_checkpoint,
                                trusted_checkpoint_loading)

__all__ = ['allow_trusted_checkpoint_loading', 'load_local_checkpoint', 'trusted_checkpoint_loading']
from .flops import EXTRA_FLOP_HANDLES, count_flops, flop_analyzer, sdpa_flop_jit  # noqa: E402

__all__ += ['EXTRA_FLOP_HANDLES', 'count_flops', 'flop_analyzer', 'sdpa_flop_jit']
