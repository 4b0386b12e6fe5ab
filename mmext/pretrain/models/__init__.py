from . import backbones, utils  # noqa: F401
from .backbones import BATEncoderLayer, BATViT, TokenReducer

__all__ = ['backbones', 'utils', 'BATEncoderLayer', 'BATViT', 'TokenReducer']
