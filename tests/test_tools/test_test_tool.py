"""tools/test.py evaluates a checkpoint and writes prediction PNGs with --out (mmseg semantics)."""
import os
import os.path as osp

import cv2
import pytest

from tools import test as test_tool
from tools import train as train_tool


def test_evaluates_checkpoint_and_saves_predictions(tmp_path, seg_data_overrides, tiny_seg_config):
    work_dir = str(tmp_path / 'work')
    train_tool.main(
        [tiny_seg_config, '--work-dir', work_dir, '--cfg-options', 'train_cfg.max_iters=4', *seg_data_overrides])
    out_dir = str(tmp_path / 'predictions')
    test_tool.main([tiny_seg_config, osp.join(work_dir, 'iter_4.pth'), '--work-dir', work_dir, '--out', out_dir,
                    '--cfg-options', *seg_data_overrides])
    predictions = sorted(os.listdir(out_dir))
    assert len(predictions) == 8  # the tiny config's validation split
    label_map = cv2.imread(osp.join(out_dir, predictions[0]), cv2.IMREAD_UNCHANGED)
    assert label_map.shape == (64, 64)
    assert label_map.max() < 6


def test_show_dir_without_visualization_hook_names_the_fix(tmp_path, tiny_seg_config):
    with pytest.raises(RuntimeError, match='visualization'):
        test_tool.main([tiny_seg_config, 'unused.pth', '--work-dir', str(tmp_path), '--show-dir', str(tmp_path),
                        '--cfg-options', 'default_hooks.visualization=None'])


def test_missing_config_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.py'):
        train_tool.main([str(tmp_path / 'nope.py')])
