"""mmext: OpenMMLab plugin extensions.

This top-level package is deliberately light (its version only): Python runs it before any subpackage, so whatever
it imported would weigh on every entry. Each host library has an import entry of its own, named in a config's
``custom_imports``:

* ``mmext.seg``: mmseg components (SDN neck, semi-supervised segmentors, boundary metric, synthetic data);
  imports no mmpretrain.
* ``mmext.pretrain``: mmpretrain components (BAT backbone, CAE v2, synthetic data); imports no mmseg.
* ``mmext.ops``: the semantic difference convolution op alone (mmengine's root ``MODELS``).
* ``mmext.emotion``: the multimodal emotion regressor on mmext's own registries; needs mmengine only.
* ``mmext.all``: every entry above, for a single line that registers everything.
"""
from .version import __version__

__all__ = ['__version__']
