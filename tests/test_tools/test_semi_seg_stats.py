"""tools/analysis_tools/semi_seg_stats.py: the pseudo-label counts and IoU by hand, and the tool end to end on a
plain and an AugSeg checkpoint of the synthetic toys whose decode heads output constant logits (so every statistic
is known from the ground truth alone)."""
import json
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import MODELS

from tools.analysis_tools import semi_seg_stats as sss
from tools.reproduction.runs import parse_cfg_options

PLAIN = 'configs/augseg/fcn_r18-w16-d8_1xb8-1k_synthetic-1-8-64x64.py'
AUGSEG = 'configs/augseg/augseg_fcn-r18-w16-d8_1xb8+8-1k_synthetic-1-8-64x64.py'
CLASSES = 6


def hand_case():
    """6 pixels of 4 classes in a 2 x 3 map: class 2 is in the ground truth but never confident, class 3 is absent,
    the last pixel is ignored, and one pixel sits exactly at tau = 0.95 (kept)."""
    conf = torch.tensor([[0.99, 0.5, 0.97], [0.95, 0.3, 0.99]])
    label = torch.tensor([[0, 0, 1], [1, 2, 0]])
    gt = torch.tensor([[0, 0, 1], [0, 2, 255]])
    return conf, label, gt


def test_pseudo_label_counts_and_summary_by_hand():
    counts = sss.pseudo_label_counts(*hand_case(), tau=0.95, num_classes=4)
    # kept: pixels 0 (0 -> 0, right), 2 (1 -> 1, right), 3 (1 for a 0, wrong); right overall: all but pixel 3
    expected = dict(gt=[3, 1, 1, 0], argmax=[2, 2, 1, 0], kept=[1, 2, 0, 0], kept_by_gt=[2, 1, 0, 0],
                    correct_kept=2, correct_all=4)
    assert {key: value.tolist() for key, value in counts.items()} == expected
    summary = {key: value.tolist() for key, value in sss.pseudo_label_summary(counts).items()}
    assert summary['kept_ratio'] == pytest.approx(3 / 5)
    assert summary['accuracy_kept'] == pytest.approx(2 / 3)
    assert summary['accuracy_all'] == pytest.approx(4 / 5)
    assert summary['fraction_kept'] == pytest.approx([1 / 3, 2 / 3, 0, 0])
    assert summary['fraction_argmax'] == pytest.approx([2 / 5, 2 / 5, 1 / 5, 0])
    assert summary['fraction_gt'] == pytest.approx([3 / 5, 1 / 5, 1 / 5, 0])
    # class 2 is never kept (0), class 3 has no pixel (undefined)
    assert summary['kept_ratio_per_class'][:3] == pytest.approx([2 / 3, 1, 0])
    assert math.isnan(summary['kept_ratio_per_class'][3])


def test_counts_add_over_images_and_nothing_kept_is_undefined():
    conf, label, gt = hand_case()
    whole = sss.pseudo_label_counts(conf, label, gt, 0.95, 4)
    rows = [sss.pseudo_label_counts(conf[i], label[i], gt[i], 0.95, 4) for i in range(2)]
    for key, value in whole.items():
        assert torch.equal(rows[0][key] + rows[1][key], value)
    summary = sss.pseudo_label_summary(sss.pseudo_label_counts(conf, label, gt, 1.0, 4))
    assert summary['kept_ratio'] == 0 and math.isnan(summary['accuracy_kept'])
    assert torch.isnan(summary['fraction_kept']).all()
    assert summary['kept_ratio_per_class'][:3].tolist() == [0, 0, 0]


def test_iou_summary_is_mmseg_arithmetic():
    pred, gt = torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 1, 1])
    areas = [IoUMetric.intersect_and_union(pred[half], gt[half], 3, 255) for half in (slice(0, 2), slice(2, 4))]
    summary = sss.iou_summary(areas)
    # class 0: 1 / 2; class 1: 2 / 3; class 2: in neither
    assert summary['IoU'][:2].tolist() == pytest.approx([50, 200 / 3])
    assert math.isnan(summary['IoU'][2])
    assert summary['mIoU'] == pytest.approx((50 + 200 / 3) / 2)
    assert summary['aAcc'] == pytest.approx(75)


def data_options(root: str, *train_datasets: str) -> list:
    """``--cfg-options``: 16 training and 8 validation images generated under ``root``, loaded in this process."""
    options = [f'val_dataloader.dataset.{key}' for key in (f'data_root={root}', 'num_samples=8')]
    options += ['val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False']
    for dataset in train_datasets:
        options += [f'{dataset}.data_root={root}', f'{dataset}.num_samples=16']
    return options


def constant_head(segmentor: torch.nn.Module, favoured: int, margin: float) -> None:
    """Makes the decode head output the same logits everywhere: ``margin`` for class ``favoured``, 0 for the rest."""
    conv = segmentor.decode_head.conv_seg
    torch.nn.init.zeros_(conv.weight)
    torch.nn.init.zeros_(conv.bias)
    conv.bias.data[favoured] = margin


def save_model(config: str, options: list, path: str, adjust) -> str:
    """Builds the (randomly initialised) model of ``config``, applies ``adjust`` and saves its weights at ``path``."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(parse_cfg_options(options))
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    adjust(model)
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def check_ranges(stats: dict) -> None:
    assert stats['classes'][0] == 'background' and len(stats['classes']) == CLASSES
    for branch in stats['iou'].values():
        assert set(branch) == {'num_images', 'IoU', 'mIoU', 'aAcc'} and list(branch['IoU']) == stats['classes']
        assert all(v is None or 0 <= v <= 100 for v in [*branch['IoU'].values(), branch['mIoU'], branch['aAcc']])
    pseudo = stats['pseudo_labels']
    assert set(pseudo['class_fraction']) == {'kept', 'argmax', 'ground_truth'}
    for name in ('ground_truth', 'argmax'):
        assert sum(pseudo['class_fraction'][name].values()) == pytest.approx(1)
    for value in [*pseudo['kept_ratio_per_class'].values(), pseudo['kept_ratio'], pseudo['accuracy_all']]:
        assert value is None or 0 <= value <= 1


def test_plain_segmentor(tmp_path, repo_root, synthetic_seg_root, capsys):
    """A supervised-only checkpoint whose every pixel says background with confidence e^2 / (e^2 + 5) = 0.596:
    nothing is kept at tau 0.6, and the accuracy is the background share of the ground truth."""
    config = osp.join(repo_root, PLAIN)
    options = data_options(synthetic_seg_root, 'train_dataloader.dataset')
    checkpoint = save_model(config, options, str(tmp_path / 'plain.pth'), lambda model: constant_head(model, 0, 2.0))
    out = str(tmp_path / 'stats' / 'plain.json')
    stats = sss.main([config, checkpoint, '--out', out, '--tau', '0.6', '--unlabeled-indices', '4', '16',
                      '--max-images', '3', '--cfg-options', *options])
    with open(out) as f:
        assert json.load(f) == stats
    check_ranges(stats)
    iou, pseudo = stats['iou']['model'], stats['pseudo_labels']
    assert list(stats['iou']) == ['model'] and iou['num_images'] == 3
    assert iou['IoU']['background'] > 0 and all(not v for name, v in iou['IoU'].items() if name != 'background')
    assert pseudo['model'] == 'model' and pseudo['num_images'] == 3 and pseudo['num_pixels'] == 3 * 64 * 64
    assert pseudo['kept_ratio'] == 0 and pseudo['accuracy_kept'] is None
    assert set(pseudo['class_fraction']['kept'].values()) == {None}
    assert pseudo['class_fraction']['argmax']['background'] == 1
    assert pseudo['accuracy_all'] == pytest.approx(pseudo['class_fraction']['ground_truth']['background'])
    assert all(v in (0, None) for v in pseudo['kept_ratio_per_class'].values())
    printed = capsys.readouterr().out
    assert '| class | model |' in printed and f'written to {out}' in printed


def test_augseg_teacher_and_student(tmp_path, repo_root, synthetic_seg_root, capsys):
    """The AugSeg toy with a teacher that says background and a student that says class 1, both confidently: the
    teacher keeps every pseudo-label, and the two IoUs differ."""
    config = osp.join(repo_root, AUGSEG)
    unlabeled = 'train_dataloader.dataset.datasets.1'
    options = data_options(synthetic_seg_root, unlabeled) + [f'{unlabeled}.indices=[8,9,10,11]']

    def adjust(model):
        constant_head(model.teacher, 0, 20.0)
        constant_head(model.student, 1, 20.0)

    checkpoint = save_model(config, options, str(tmp_path / 'augseg.pth'), adjust)
    stats = sss.main([config, checkpoint, '--max-images', '2', '--cfg-options', *options])
    with open(tmp_path / 'augseg_stats.json') as f:
        assert json.load(f) == stats
    check_ranges(stats)
    teacher, student = stats['iou']['teacher'], stats['iou']['student']
    assert teacher['IoU']['background'] > 0 and student['IoU']['background'] == 0
    assert teacher['mIoU'] != student['mIoU']
    pseudo = stats['pseudo_labels']
    assert pseudo['model'] == 'teacher' and pseudo['tau'] == 0.95 and pseudo['num_images'] == 2
    assert pseudo['kept_ratio'] == 1
    assert pseudo['accuracy_kept'] == pytest.approx(pseudo['class_fraction']['ground_truth']['background'])
    assert pseudo['class_fraction']['kept']['background'] == 1
    present = [name for name, v in pseudo['class_fraction']['ground_truth'].items() if v]
    assert all(pseudo['kept_ratio_per_class'][name] == 1 for name in present)
    assert '| class | teacher | student |' in capsys.readouterr().out


def test_errors_name_the_fix(tmp_path, repo_root):
    config = osp.join(repo_root, PLAIN)
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        sss.main([config, str(tmp_path / 'nope.pth')])
    # (the config file stands in for a checkpoint: both errors come before any weight is read)
    with pytest.raises(ValueError, match='--unlabeled-indices START END'):
        sss.main([config, config])
    with pytest.raises(ValueError, match='no val_dataloader'):
        sss.main([config, config, '--cfg-options', 'val_dataloader=None'])
