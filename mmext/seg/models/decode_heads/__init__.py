"""Decode heads, registered in mmseg's ``MODELS`` by name; each module is imported when a config builds the head
(``mmext/seg/models/deferred.py``)."""
from ..deferred import register_deferred

register_deferred('DeepLabV3PlusHead', 'mmext.seg.models.decode_heads.deeplabv3plus_head')

__all__ = []
