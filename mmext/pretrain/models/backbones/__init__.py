from .bat_vit import BATEncoderLayer, BATViT, TokenReducer

__all__ = ['BATEncoderLayer', 'BATViT', 'TokenReducer']
