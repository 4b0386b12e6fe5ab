"""Inverse-time decay, Keras' ``SGD(decay=...)`` that Deng et al. (arXiv 1805.00625) train with:
``value_t = base_value / (1 + decay * t)``, t = steps since ``begin`` (iterations with ``by_epoch=False``).

MMEngine has no such scheduler; these build on its ``_ParamScheduler`` and ``LRSchedulerMixin`` like its own
``ExponentialLR``.
"""
from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler

from mmext.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class InverseTimeParamScheduler(_ParamScheduler):
    """Sets ``param_name`` of every parameter group to ``base / (1 + decay * t)``.

    Args:
        optimizer (Optimizer | OptimWrapper): Wrapped optimizer.
        param_name (str): The parameter to schedule, e.g. ``'lr'``.
        decay (float): Per-step decay; Keras' ``decay=1e-3`` halves the value after 1000 steps.
        begin (int): First step of the schedule. Default: 0.
        end (int): Step after which the value is no longer changed. Default: INF.
        last_step (int): Index of the last step, for resuming. Default: -1.
        by_epoch (bool): Steps are epochs (True) or iterations (False). Default: True.
        verbose (bool): Print the value at every update. Default: False.
    """

    def __init__(self,
                 optimizer,
                 param_name: str,
                 decay: float,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False) -> None:
        if decay < 0:
            raise ValueError(f'decay must be non-negative, got {decay}')
        self.decay = decay
        super().__init__(optimizer, param_name, begin=begin, end=end, last_step=last_step, by_epoch=by_epoch,
                         verbose=verbose)

    def _get_value(self):
        return [base / (1 + self.decay * self.last_step) for base in self.base_values]


@PARAM_SCHEDULERS.register_module()
class InverseTimeLR(LRSchedulerMixin, InverseTimeParamScheduler):
    """Inverse-time decay of the learning rate: ``lr_t = base_lr / (1 + decay * t)``.

    Example (the paper's Keras ``SGD(lr=1e-3, decay=1e-3)``, decayed per iteration)::

        param_scheduler = dict(type='InverseTimeLR', decay=1e-3, by_epoch=False)

    Args:
        optimizer (Optimizer | OptimWrapper): Wrapped optimizer.
        decay (float): Per-step decay.
        begin, end, last_step, by_epoch, verbose: As :class:`InverseTimeParamScheduler`.
    """
