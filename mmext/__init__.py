"""mmext: OpenMMLab plugin extensions.

``custom_imports = dict(imports=['mmext'], allow_failed_imports=False)`` in an mmseg or mmpretrain config registers
every mmext component into the host libraries' registries. Each subpackage (``mmext.seg``, ``mmext.pretrain``,
``mmext.ops``) can also be imported alone to register only its part.
"""
from .version import __version__
from .utils.checkpoint_compat import allow_trusted_checkpoint_loading
from . import ops, pretrain, seg  # noqa: E402,F401  (the imports are the registration)

allow_trusted_checkpoint_loading()

__all__ = ['__version__', 'ops', 'seg', 'pretrain']
