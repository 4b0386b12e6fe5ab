from .cae_v2_head import SUPERVISION_GROUPS, CAEv2Head

__all__ = ['CAEv2Head', 'SUPERVISION_GROUPS']
