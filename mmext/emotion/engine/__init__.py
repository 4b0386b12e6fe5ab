from .schedulers import InverseTimeLR, InverseTimeParamScheduler

__all__ = ['InverseTimeLR', 'InverseTimeParamScheduler']
