"""tools/benchmarks/semi_scenes_seeds.py: run layout, configs of every arm, and the report on logged scalars."""
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

from tools.benchmarks import semi_scenes_seeds as seeds


def write_scalars(run_dir, entries):
    os.makedirs(osp.join(run_dir, '20260101_000000', 'vis_data'))
    with open(osp.join(run_dir, '20260101_000000', 'vis_data', 'scalars.json'), 'w') as f:
        f.writelines(json.dumps(e) + '\n' for e in entries)


@pytest.mark.parametrize('fraction', [8, 16])
def test_every_arm_has_its_config_and_the_control_switches_only_the_pseudo_label_loss(fraction):
    for arm in seeds.ARMS:
        config, options, semi = seeds.config_of(arm, fraction)
        cfg = Config.fromfile(config)
        labelled = cfg.train_dataloader.dataset.datasets[0] if semi else cfg.train_dataloader.dataset
        assert len(labelled.get('indices', range(1000))) == (1000 if arm == 'oracle' else 1000 // fraction), arm
        assert ('val_cfg.type=mmdet.TeacherStudentValLoop' in options) == semi
    augseg, control = seeds.config_of('augseg', fraction), seeds.config_of('augseg_lu0', fraction)
    assert augseg[0] == control[0]
    assert set(control[1]) - set(augseg[1]) == {'model.semi_train_cfg.unsup_weight=0'}


def test_oracle_runs_are_shared_by_both_fractions(tmp_path):
    assert seeds.run_dir(str(tmp_path), 8, 'oracle', 1) == seeds.run_dir(str(tmp_path), 16, 'oracle', 1)
    assert seeds.run_dir(str(tmp_path), 8, 'augseg', 1) != seeds.run_dir(str(tmp_path), 16, 'augseg', 1)


def test_report_reads_teacher_and_student_and_compares_with_supervised_only(tmp_path, capsys):
    work = str(tmp_path)
    for seed, (sup, teacher) in enumerate([(30.0, 35.0), (31.0, 36.0)]):
        write_scalars(seeds.run_dir(work, 16, 'suponly', seed),
                      [{'step': 500, 'mIoU': sup - 5, 'mBIoU': 1, 'mBFscore': 2, 'aAcc': 3},
                       {'step': 4000, 'mIoU': sup, 'mBIoU': 1, 'mBFscore': 2, 'aAcc': 3}])
        write_scalars(seeds.run_dir(work, 16, 'augseg', seed),
                      [{'step': 4000, **{f'{who}/{k}': v for who, m in (('teacher', teacher), ('student', 20.0))
                                         for k, v in (('mIoU', m), ('mBIoU', 1), ('mBFscore', 2), ('aAcc', 3))}}])
        for arm in ('suponly', 'augseg'):
            open(osp.join(seeds.run_dir(work, 16, arm, seed), f'iter_{seeds.MAX_ITERS}.pth'), 'w').close()
    # an unfinished run (no last checkpoint) is in the curves but not in the final table
    write_scalars(seeds.run_dir(work, 16, 'imas', 0), [{'step': 500, 'teacher/mIoU': 1.0, 'student/mIoU': 1.0}])
    seeds.main(['report', '--fraction', '16', '--seeds', '0', '1', '--work-dir', work,
                '--arms', 'suponly', 'augseg', 'imas'])
    out = capsys.readouterr().out
    teacher_row = next(line for line in out.splitlines() if line.startswith('| AugSeg, teacher |'))
    assert '35.50 ± 0.71' in teacher_row and '+5.00, beyond noise' in teacher_row
    student_row = next(line for line in out.splitlines() if line.startswith('| AugSeg, student |'))
    assert '20.00 ± 0.00' in student_row and '-10.50, beyond noise' in student_row
    assert '| supervised only | 25.00 | 30.00 |' in out.replace('|  |', '|')  # curve of seed 0
    assert '| iMAS teacher | 1.00 |' in out and '| iMAS, teacher |' not in out


def test_stats_average_the_teacher_and_the_pseudo_labels_of_finished_runs(tmp_path, capsys):
    work = str(tmp_path)
    classes = ['background', 'shirt']
    for seed, (teacher_bg, kept_bg) in enumerate([(80.0, 0.9), (90.0, 1.0)]):
        directory = seeds.run_dir(work, 8, 'augseg', seed)
        os.makedirs(directory)
        open(osp.join(directory, f'iter_{seeds.MAX_ITERS}.pth'), 'w').close()
        stats = {
            'classes': classes,
            'iou': {'teacher': {'IoU': {'background': teacher_bg, 'shirt': 10.0}, 'mIoU': (teacher_bg + 10) / 2},
                    'student': {'IoU': {'background': 0.0, 'shirt': 0.0}, 'mIoU': 0.0}},
            'pseudo_labels': {
                'kept_ratio': 0.5, 'accuracy_kept': 0.8,
                'class_fraction': {'kept': {'background': kept_bg, 'shirt': 1 - kept_bg},
                                   'argmax': {'background': 0.7, 'shirt': 0.3},
                                   'ground_truth': {'background': 0.75, 'shirt': 0.25}},
                'kept_ratio_per_class': {'background': 0.6, 'shirt': 0.2}}}
        with open(osp.join(directory, f'iter_{seeds.MAX_ITERS}_stats.json'), 'w') as f:
            json.dump(stats, f)
    os.makedirs(seeds.run_dir(work, 8, 'augseg', 2))  # unfinished: no checkpoint, not counted
    seeds.main(['stats', '--fraction', '8', '--seeds', '0', '1', '2', '--work-dir', work, '--arms', 'augseg'])
    out = capsys.readouterr().out
    assert '| background | 85.00 |' in out and '| mIoU | 47.50 |' in out  # the teacher, over 2 seeds
    assert '| AugSeg | 50.00 | 80.00 | 95.00 | 70.00 | 20.00 |' in out
    assert 'Background is 75.00 %' in out
