"""tools/test.py evaluates a checkpoint and writes prediction PNGs with --out (mmseg semantics)."""
import glob
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

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


def test_semi_checkpoint_is_evaluated_on_its_teacher(tmp_path, semi_seg_data_overrides, tiny_semi_seg_config):
    """tools/test.py with an AugSeg config and checkpoint, no extra flags, predicts exactly what the teacher alone
    (a plain segmentor config with the checkpoint's teacher weights) predicts."""
    work_dir = str(tmp_path / 'work')
    # Validated by mmdet's TeacherStudentValLoop (through its mmdet. scope) at the last iteration.
    train_tool.main([tiny_semi_seg_config, '--work-dir', work_dir, '--cfg-options', 'train_cfg.max_iters=4',
                     'val_cfg.type=mmdet.TeacherStudentValLoop', *semi_seg_data_overrides])
    # (The log, not vis_data/scalars.json: mmseg's visualizer is a process-wide instance that keeps the save_dir of
    # the first runner of the test session.)
    log = glob.glob(osp.join(work_dir, '*', '*.log'))[0]
    with open(log) as f:
        assert re.search(r'Iter\(val\).*teacher/mIoU: [\d.]+.*student/mIoU: [\d.]+', f.read())
    checkpoint = torch.load(osp.join(work_dir, 'iter_4.pth'), map_location='cpu', weights_only=False)
    weights = checkpoint['state_dict']
    for branch in ('teacher', 'student'):
        branch_weights = {k[len(branch) + 1:]: v for k, v in weights.items() if k.startswith(branch + '.')}
        torch.save(dict(state_dict=branch_weights), str(tmp_path / f'{branch}.pth'))
    plain = Config.fromfile(tiny_semi_seg_config)
    plain.model = plain.model.segmentor
    plain.dump(str(tmp_path / 'plain.py'))

    outputs = {}
    for name, config, weights_file in (('semi', tiny_semi_seg_config, osp.join(work_dir, 'iter_4.pth')),
                                       ('teacher', str(tmp_path / 'plain.py'), str(tmp_path / 'teacher.pth')),
                                       ('student', str(tmp_path / 'plain.py'), str(tmp_path / 'student.pth'))):
        out_dir = str(tmp_path / name)
        test_tool.main([config, weights_file, '--work-dir', work_dir, '--out', out_dir, '--cfg-options',
                        *semi_seg_data_overrides])
        outputs[name] = {f: cv2.imread(osp.join(out_dir, f), cv2.IMREAD_UNCHANGED) for f in sorted(os.listdir(out_dir))}
    assert outputs['semi'].keys() == outputs['teacher'].keys() and len(outputs['semi']) == 8
    for name, prediction in outputs['semi'].items():
        np.testing.assert_array_equal(prediction, outputs['teacher'][name], err_msg=name)
    # Meaningful only because the student (the EMA's source, 4 steps in) predicts differently.
    assert any(not np.array_equal(p, outputs['student'][n]) for n, p in outputs['semi'].items())
