from .inverse_time_lr import InverseTimeLR, InverseTimeParamScheduler

__all__ = ['InverseTimeLR', 'InverseTimeParamScheduler']
