from . import backbones, heads, necks, selfsup, target_generators, utils  # noqa: F401
from .backbones import BATEncoderLayer, BATViT, CAEv2ViT, TokenReducer
from .heads import CAEv2Head
from .necks import CAEv2Neck
from .selfsup import CAEv2
from .target_generators import CLIPTeacher

__all__ = [
    'backbones', 'heads', 'necks', 'selfsup', 'target_generators', 'utils', 'BATEncoderLayer', 'BATViT', 'TokenReducer',
    'CAEv2', 'CAEv2Head', 'CAEv2Neck', 'CAEv2ViT', 'CLIPTeacher'
]
