import pytest
import torch

from mmext.registry import PARAM_SCHEDULERS


def test_inverse_time_lr_matches_keras_decay():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3, momentum=0.9, nesterov=True)
    scheduler = PARAM_SCHEDULERS.build(
        dict(type='InverseTimeLR', optimizer=optimizer, decay=1e-3, by_epoch=False))
    lrs = [optimizer.param_groups[0]['lr']]
    for _ in range(1000):
        optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]['lr'])
    assert lrs[0] == pytest.approx(1e-3)
    assert lrs[1] == pytest.approx(1e-3 / 1.001)
    assert lrs[1000] == pytest.approx(5e-4)


def test_negative_decay_is_named():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match='decay'):
        PARAM_SCHEDULERS.build(dict(type='InverseTimeLR', optimizer=optimizer, decay=-1))
