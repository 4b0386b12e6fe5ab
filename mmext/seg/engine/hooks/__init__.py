from .mean_teacher_hook import MeanTeacherEMAHook, ema_decay, ema_update_

__all__ = ['MeanTeacherEMAHook', 'ema_decay', 'ema_update_']
