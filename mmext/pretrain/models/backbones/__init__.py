from .bat_vit import BATEncoderLayer, BATViT, TokenReducer
from .cae_v2_vit import CAEv2ViT

__all__ = ['BATEncoderLayer', 'BATViT', 'CAEv2ViT', 'TokenReducer']
