from .keep_rate_warmup_hook import KeepRateWarmupHook

__all__ = ['KeepRateWarmupHook']
