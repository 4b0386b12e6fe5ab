from .cae_v2 import CAEv2

__all__ = ['CAEv2']
