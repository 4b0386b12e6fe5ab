import math
from types import SimpleNamespace

import pytest
import torch

import mmext.pretrain  # noqa: F401  (registers the mmpretrain components)
from mmext.pretrain.engine.hooks import KeepRateWarmupHook


class Backbone(torch.nn.Module):

    def __init__(self, keep_rate):
        super().__init__()
        self.keep_rate = keep_rate


def fake_runner(keep_rate=0.7, iters_per_epoch=4):
    model = torch.nn.Module()
    model.backbone = Backbone(keep_rate)
    return SimpleNamespace(model=model, epoch=0, train_dataloader=range(iters_per_epoch))


def test_cosine_warmup_per_iteration_then_target_for_evaluation():
    runner = fake_runner()
    hook = KeepRateWarmupHook(start_epoch=1, warmup_epochs=2)
    hook.before_train(runner)
    seen = []
    for epoch in range(4):
        runner.epoch = epoch
        for batch_idx in range(4):
            hook.before_train_iter(runner, batch_idx)
            seen.append(runner.model.backbone.keep_rate)
        hook.before_val_epoch(runner)
        assert runner.model.backbone.keep_rate == 0.7
    assert seen[:4] == [1.0] * 4  # the first epoch keeps every token
    # Halfway through the window (epoch 2.0) the cosine is at the midpoint between 1 and the target.
    assert seen[8] == pytest.approx(0.7 + 0.3 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert all(a >= b for a, b in zip(seen, seen[1:]))
    assert seen[-4:] == [0.7] * 4


def test_per_epoch_updates_hold_within_an_epoch():
    runner = fake_runner()
    hook = KeepRateWarmupHook(start_epoch=0, warmup_epochs=2, by_iter=False)
    hook.before_train(runner)
    runner.epoch = 1
    rates = set()
    for batch_idx in range(4):
        hook.before_train_iter(runner, batch_idx)
        rates.add(runner.model.backbone.keep_rate)
    assert len(rates) == 1 and rates.pop() == pytest.approx(0.85)


def test_backbone_without_keep_rate_is_named():
    runner = SimpleNamespace(model=torch.nn.Module(), epoch=0, train_dataloader=range(1))
    runner.model.backbone = torch.nn.Identity()
    with pytest.raises(TypeError, match='keep_rate'):
        KeepRateWarmupHook().before_train(runner)


@pytest.mark.parametrize('kwargs, message', [
    (dict(start_epoch=None), 'start_epoch must be a number of epochs'),
    (dict(warmup_epochs='100'), 'warmup_epochs must be a number of epochs'),
    (dict(by_iter=1), 'by_iter must be True or False'),
])
def test_argument_types_are_named(kwargs, message):
    with pytest.raises(TypeError, match=message):
        KeepRateWarmupHook(**kwargs)


def test_negative_epochs_are_named():
    with pytest.raises(ValueError, match='start_epoch'):
        KeepRateWarmupHook(start_epoch=-1)
