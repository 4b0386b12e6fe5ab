"""The EMA teacher update of mean-teacher segmentors, with AugSeg's official schedule.

Zhao et al., AugSeg (CVPR 2023, arXiv 2212.04976); schedule from the official ``train_semi.py`` (ZhenZHAO/AugSeg):
the teacher copies the student during the first epoch, then ``theta_t <- d * theta_t + (1 - d) * theta_s`` with
``d = min(1 - 1 / (t + 1), d0)`` at global iteration ``t``, over parameters and batch-norm statistics.

mmdet's ``MeanTeacherHook`` has a constant momentum and no copy phase, and mmengine's ``EMAHook`` keeps the average
outside the model (swapping it in for validation), while here the teacher lives inside the model, where it makes
the pseudo-labels; ``docs/augseg.md`` explains the choice.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.dist import broadcast, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

from mmext.utils.validation import check_choice

WARMUPS = ('inverse', None)


def ema_decay(iteration: int, momentum: float, copy_until_iter: int = 0, warmup: Optional[str] = 'inverse') -> float:
    """The teacher's decay d after 0-based iteration ``iteration``.

    ``d = 0`` (copy) while ``iteration < copy_until_iter``; then ``min(1 - 1 / (iteration + 1), 1 - momentum)``
    with ``warmup='inverse'`` (the official schedule), or ``1 - momentum`` with ``warmup=None``.
    """
    if iteration < copy_until_iter:
        return 0.0
    if warmup == 'inverse':
        return min(1.0 - 1.0 / (iteration + 1), 1.0 - momentum)
    return 1.0 - momentum


@torch.no_grad()
def ema_update_(teacher: nn.Module, student: nn.Module, decay: float, skip_buffers: bool = False) -> None:
    """In place: ``teacher <- decay * teacher + (1 - decay) * student`` over parameters and floating buffers.

    Integer buffers (``num_batches_tracked``) are copied, and so are floating buffers when ``skip_buffers``.
    ``decay = 0`` copies everything exactly.

    Raises:
        KeyError: if the two models do not have the same state-dict keys.
    """
    teacher_state, student_state = teacher.state_dict(keep_vars=True), student.state_dict(keep_vars=True)
    if teacher_state.keys() != student_state.keys():
        raise KeyError('teacher and student differ in their state-dict keys: '
                       f'{sorted(set(teacher_state) ^ set(student_state))[:5]}...')
    buffers = {name for name, _ in student.named_buffers()}
    for name, target in teacher_state.items():
        source = student_state[name].detach()
        if decay == 0.0 or not target.dtype.is_floating_point or (skip_buffers and name in buffers):
            target.data.copy_(source)
        else:
            target.data.lerp_(source, 1.0 - decay)


def broadcast_buffers_(module: nn.Module, src: int = 0) -> None:
    """Copies the floating buffers of ``module`` on rank ``src`` to every rank, as one flat tensor."""
    buffers = [b for b in module.buffers() if b.dtype.is_floating_point]
    if not buffers:
        return
    flat = torch.cat([b.reshape(-1) for b in buffers])
    broadcast(flat, src=src)
    for buffer, values in zip(buffers, flat.split([b.numel() for b in buffers])):
        buffer.copy_(values.view_as(buffer))


@HOOKS.register_module()
class MeanTeacherEMAHook(Hook):
    """Updates ``model.teacher`` as an exponential moving average of ``model.student`` after every ``interval``
    iterations (see :func:`ema_decay` for the schedule and :func:`ema_update_` for the update).

    Before training from iteration 0 the teacher is set to the student. Under DDP without SyncBN each rank's
    student has its own batch-norm statistics, so after each update the teacher's floating buffers are broadcast
    from rank 0 (what DDP itself does before the next forward), keeping the teacher identical on every rank for
    validation and checkpoints.

    Args:
        momentum (float): ``1 - d0``; AugSeg: 0.001 (VOC), 0.004 (Cityscapes).
        interval (int): update every ``interval`` iterations. Default: 1.
        copy_until_iter (int): iterations (0-based) before which the teacher copies the student; AugSeg: one epoch
            of the unlabelled set. Default: 0.
        warmup (str, optional): ``'inverse'`` (``d = min(1 - 1/(t+1), d0)``, the official schedule) or None
            (constant ``d0``). Default: ``'inverse'``.
        skip_buffers (bool): copy buffers instead of averaging them. Default: False (batch-norm running statistics
            are averaged, as the official code does).
    """
    priority = 'ABOVE_NORMAL'  # before CheckpointHook and validation, which must see the updated teacher

    def __init__(self,
                 momentum: float = 0.001,
                 interval: int = 1,
                 copy_until_iter: int = 0,
                 warmup: Optional[str] = 'inverse',
                 skip_buffers: bool = False) -> None:
        if not 0.0 < momentum <= 1.0:
            raise ValueError(f'momentum must be in (0, 1] (it is 1 - the EMA decay), got {momentum}')
        if interval < 1:
            raise ValueError(f'interval must be a positive number of iterations, got {interval}')
        check_choice('warmup', warmup, WARMUPS)
        self.momentum = momentum
        self.interval = interval
        self.copy_until_iter = copy_until_iter
        self.warmup = warmup
        self.skip_buffers = skip_buffers

    @staticmethod
    def _semi_model(runner) -> nn.Module:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not (hasattr(model, 'teacher') and hasattr(model, 'student')):
            raise TypeError(f'MeanTeacherEMAHook needs a model with teacher and student (e.g. AugSeg), got '
                            f'{type(model).__name__}')
        return model

    def before_train(self, runner) -> None:
        model = self._semi_model(runner)
        if runner.iter == 0:
            ema_update_(model.teacher, model.student, 0.0)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if (runner.iter + 1) % self.interval != 0:
            return
        model = self._semi_model(runner)
        decay = ema_decay(runner.iter, self.momentum, self.copy_until_iter, self.warmup)
        ema_update_(model.teacher, model.student, decay, self.skip_buffers)
        if get_world_size() > 1:
            broadcast_buffers_(model.teacher)
