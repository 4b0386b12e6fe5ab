from .cae_v2_neck import CAEv2Neck

__all__ = ['CAEv2Neck']
