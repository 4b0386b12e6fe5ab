"""tools/train.py end to end: train, save, resume; the resumed run must match a straight run exactly."""
import os.path as osp

import pytest
import torch

from tools import train as train_tool


def load_weights(path: str) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)['state_dict']


@pytest.mark.parametrize('config,overrides', [('tiny_seg_config', 'seg_data_overrides'),
                                              ('tiny_semi_seg_config', 'semi_seg_data_overrides')],
                         ids=['supervised', 'augseg'])
def test_resume_matches_straight_run(tmp_path, request, config, overrides):
    # AugSeg: teacher (EMA), student and the step counter that seeds its augmentation draws must all match.
    tiny_seg_config, seg_data_overrides = request.getfixturevalue(config), request.getfixturevalue(overrides)
    straight, resumed = str(tmp_path / 'straight'), str(tmp_path / 'resumed')
    train_tool.main([tiny_seg_config, '--work-dir', straight, '--cfg-options', *seg_data_overrides])
    # Stop after 4 of the 8 iterations (the schedule still spans 8), then resume from the saved checkpoint.
    train_tool.main(
        [tiny_seg_config, '--work-dir', resumed, '--cfg-options', *seg_data_overrides, 'train_cfg.max_iters=4'])
    assert osp.isfile(osp.join(resumed, 'iter_4.pth'))
    train_tool.main([
        tiny_seg_config, '--work-dir', resumed, '--resume', osp.join(resumed, 'iter_4.pth'), '--cfg-options',
        *seg_data_overrides
    ])
    expected, actual = load_weights(osp.join(straight, 'iter_8.pth')), load_weights(osp.join(resumed, 'iter_8.pth'))
    assert expected.keys() == actual.keys()
    initial = load_weights(osp.join(resumed, 'iter_4.pth'))
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], rtol=0, atol=1e-6, msg=name)
    # The comparison is meaningful only if training moved the weights after the resume point.
    assert any(not torch.equal(initial[n], expected[n]) for n in expected if expected[n].is_floating_point())
