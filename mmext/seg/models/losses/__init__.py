"""Losses, registered in mmseg's ``MODELS`` by name; each module is imported when a config builds the loss
(``mmext/seg/models/deferred.py``)."""
from ..deferred import register_deferred

register_deferred('KeptPixelCrossEntropyLoss', 'mmext.seg.models.losses.kept_pixel_cross_entropy_loss')

__all__ = []
