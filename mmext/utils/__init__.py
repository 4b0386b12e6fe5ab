from .checkpoint_compat import (allow_trusted_checkpoint_loading, load_local_checkpoint,
                                trusted_checkpoint_loading)

__all__ = ['allow_trusted_checkpoint_loading', 'load_local_checkpoint', 'trusted_checkpoint_loading']
