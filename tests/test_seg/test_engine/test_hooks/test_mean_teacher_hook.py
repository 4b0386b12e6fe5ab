"""MeanTeacherEMAHook: the official schedule, the update rule over parameters and buffers, the hook calls."""
import copy
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

from mmext.seg.engine.hooks import MeanTeacherEMAHook, ema_decay, ema_update_


def test_schedule_values():
    # Copy while t < copy_until_iter, then min(1 - 1/(t + 1), 1 - momentum).
    assert ema_decay(0, 0.001, copy_until_iter=655) == 0.0
    assert ema_decay(654, 0.001, copy_until_iter=655) == 0.0
    assert ema_decay(655, 0.001, copy_until_iter=655) == pytest.approx(1 - 1 / 656)
    assert ema_decay(998, 0.001, copy_until_iter=655) == pytest.approx(1 - 1 / 999)
    assert ema_decay(999, 0.001, copy_until_iter=655) == pytest.approx(0.999)
    assert ema_decay(5000, 0.001, copy_until_iter=655) == pytest.approx(0.999)
    assert ema_decay(3, 0.004) == pytest.approx(0.75)
    assert ema_decay(3, 0.004, warmup=None) == pytest.approx(0.996)


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x):
        return self.bn(self.conv(x))


def nets():
    torch.manual_seed(0)
    student, teacher = Net(), Net()
    student.train()(torch.randn(4, 2, 5, 5))  # move the student's running statistics
    return teacher, student


def test_update_rule_over_parameters_and_buffers():
    teacher, student = nets()
    before = copy.deepcopy(teacher.state_dict())
    ema_update_(teacher, student, 0.9)
    for name, value in teacher.state_dict().items():
        if name.endswith('num_batches_tracked'):
            assert value.dtype == torch.int64 and value.item() == 1  # copied, not averaged
        else:
            torch.testing.assert_close(value, 0.9 * before[name] + 0.1 * student.state_dict()[name])


def test_copy_is_exact_and_skip_buffers_copies_statistics():
    teacher, student = nets()
    ema_update_(teacher, student, 0.0)
    for name, value in teacher.state_dict().items():
        assert torch.equal(value, student.state_dict()[name]), name
    teacher, student = nets()
    weight_before = teacher.conv.weight.clone()
    ema_update_(teacher, student, 0.5, skip_buffers=True)
    assert torch.equal(teacher.bn.running_mean, student.bn.running_mean)
    torch.testing.assert_close(teacher.conv.weight, 0.5 * weight_before + 0.5 * student.conv.weight)


def test_mismatched_models_are_an_error():
    with pytest.raises(KeyError, match='state-dict keys'):
        ema_update_(nn.Linear(2, 2), Net(), 0.5)


def runner_at(iteration: int, model: nn.Module):
    return SimpleNamespace(iter=iteration, model=model)


def test_hook_copies_then_averages():
    teacher, student = nets()
    model = nn.Module()
    model.teacher, model.student = teacher, student
    hook = MeanTeacherEMAHook(momentum=0.25, copy_until_iter=2, interval=1)
    hook.before_train(runner_at(0, model))
    assert torch.equal(teacher.conv.weight, student.conv.weight)
    for it in range(2):  # copy phase: the teacher follows the student exactly
        with torch.no_grad():
            student.conv.weight.add_(1.0)
        hook.after_train_iter(runner_at(it, model), it)
        assert torch.equal(teacher.conv.weight, student.conv.weight)
    previous = teacher.conv.weight.clone()
    with torch.no_grad():
        student.conv.weight.add_(1.0)
    hook.after_train_iter(runner_at(2, model), 2)  # d = min(1 - 1/3, 0.75) = 2/3
    torch.testing.assert_close(teacher.conv.weight, 2 / 3 * previous + 1 / 3 * student.conv.weight)


def test_hook_interval_and_resume_do_not_touch_the_teacher():
    teacher, student = nets()
    model = nn.Module()
    model.teacher, model.student = teacher, student
    before = teacher.conv.weight.clone()
    hook = MeanTeacherEMAHook(momentum=0.5, interval=2)
    hook.before_train(runner_at(10, model))  # resuming: the teacher comes from the checkpoint
    hook.after_train_iter(runner_at(10, model), 0)  # (10 + 1) % 2 != 0: no update
    assert torch.equal(teacher.conv.weight, before)
    hook.after_train_iter(runner_at(11, model), 1)
    assert not torch.equal(teacher.conv.weight, before)


def test_hook_arguments_and_model_are_checked():
    with pytest.raises(ValueError, match='momentum'):
        MeanTeacherEMAHook(momentum=0.0)
    with pytest.raises(ValueError, match='warmup'):
        MeanTeacherEMAHook(warmup='linear')
    with pytest.raises(TypeError, match='teacher and student'):
        MeanTeacherEMAHook().before_train(runner_at(0, nn.Linear(1, 1)))
