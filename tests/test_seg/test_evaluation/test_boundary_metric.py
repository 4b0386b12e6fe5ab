"""Boundary IoU / boundary F-score on hand-made masks whose answers are derived in the comments."""
import math

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import METRICS

from mmext.seg.evaluation.metrics.boundary_metric import (BoundaryMetric, boundary_statistics, resolve_boundary_width,
                                                          statistics_to_scores)


@pytest.fixture(autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


def square_map(col0: int, size: int = 16) -> np.ndarray:
    """Class 1 on the 8x8 square rows 4..11, cols col0..col0+7; class 0 elsewhere."""
    label = np.zeros((size, size), dtype=np.int64)
    label[4:12, col0:col0 + 8] = 1
    return label


def scores(pred, label, width, num_classes=2, **kwargs):
    return statistics_to_scores(boundary_statistics(pred, label, num_classes, 255, width, **kwargs))


def evaluate(pairs, num_classes=2, **metric_kwargs):
    metric = METRICS.build(dict(type='BoundaryMetric', **metric_kwargs))
    metric.dataset_meta = dict(classes=[f'c{i}' for i in range(num_classes)])
    samples = [
        dict(pred_sem_seg=PixelData(data=torch.from_numpy(p)[None]).to_dict(),
             gt_sem_seg=PixelData(data=torch.from_numpy(g)[None]).to_dict()) for p, g in pairs
    ]
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_perfect_prediction_scores_one():
    label = square_map(4)
    result = evaluate([(label, label)], width_px=2)
    assert result == {'mBIoU': 100.0, 'mBFscore': 100.0}


def test_one_pixel_shift_biou_is_one_third():
    # d = 1, frame not a contour. Prediction = ground truth shifted right by one pixel (cols 5..12).
    # Class 1: each band is the square's inner ring, 8*8 - 6*6 = 28 px. The rings share rows 4 and 11 on cols
    #   5..11 (7 + 7 = 14 px); their side columns {4, 11} vs {5, 12} are disjoint. BIoU = 14 / (28 + 28 - 14) = 1/3.
    # Class 0: each band is the outer ring, 10*10 - 8*8 = 36 px. Shared: rows 3 and 12 on cols 4..12 (9 + 9 = 18 px);
    #   side columns {3, 12} vs {4, 13} are disjoint. BIoU = 18 / (36 + 36 - 18) = 1/3.
    s = scores(square_map(5), square_map(4), width=1)
    np.testing.assert_allclose(s['BIoU'], [1 / 3, 1 / 3])
    # A one-pixel shift is within the d = 1 tolerance of the F-score: every contour pixel is matched.
    np.testing.assert_allclose(s['BFscore'], [1.0, 1.0])
    result = evaluate([(square_map(5), square_map(4))], width_px=1)
    assert result['mBIoU'] == pytest.approx(100 / 3, abs=0.005)
    assert result['mBFscore'] == 100.0


def test_two_pixel_shift_fscore():
    # d = 1, prediction shifted right by two pixels (cols 6..13). Matching uses the chessboard distance <= 1.
    # Class 1 predicted contour (28 px): top/bottom rows cols 6..12 matched (7 + 7), col 13 not (2 px);
    #   left col 6 matched only at rows 5 and 10 (next to GT rows 4 and 11), rows 6..9 are 2 px from GT col 4 (4 px
    #   unmatched); right col 13 rows 5..10 are 2 px from GT col 11 (6 px unmatched). P = 16/28 = 4/7; R = P by
    #   mirror symmetry, so F = 4/7.
    # Class 0 predicted contour (outer ring rows 3..12, cols 5..14, 36 px): rows 3 and 12 cols 5..13 matched (9 + 9),
    #   col 14 not (2 px); col 5 rows 4..11 matched only at rows 4 and 11 (6 unmatched); col 14 rows 4..11 are 2 px
    #   from GT col 12 (8 unmatched). P = 20/36 = 5/9 = R, F = 5/9.
    s = scores(square_map(6), square_map(4), width=1)
    np.testing.assert_allclose(s['BPrecision'], [5 / 9, 4 / 7])
    np.testing.assert_allclose(s['BRecall'], [5 / 9, 4 / 7])
    np.testing.assert_allclose(s['BFscore'], [5 / 9, 4 / 7])
    result = evaluate([(square_map(6), square_map(4))], width_px=1)
    assert result['mBFscore'] == pytest.approx(100 * (5 / 9 + 4 / 7) / 2, abs=0.005)


def test_width_from_diagonal_ratio():
    # 64 x 64: diagonal 90.51 px, 2% of it = 1.81 -> d = 2; 512 x 512 -> 14.48 -> d = 14.
    assert resolve_boundary_width(64, 64, width_ratio=0.02) == 2
    assert resolve_boundary_width(512, 512, width_ratio=0.02) == round(0.02 * math.hypot(512, 512)) == 14
    assert resolve_boundary_width(4, 4, width_ratio=0.02) == 1
    # A 2-px band around a 4-px shifted square: the ratio option gives the same result as width_px=2.
    pairs = [(np.pad(square_map(5), 24), np.pad(square_map(4), 24))]
    assert evaluate(pairs, width_ratio=0.02) == evaluate(pairs, width_px=2)


def test_ignore_index_is_excluded():
    label = square_map(4)
    label[:, :3] = 255
    label[4:12, 11] = 255
    pred = square_map(4)
    pred[:, :3] = 1  # wrong class, but on ignored pixels only
    pred[4:12, 11] = 0
    assert evaluate([(pred, label)], width_px=2) == {'mBIoU': 100.0, 'mBFscore': 100.0}


def test_frame_is_boundary_option():
    # A single class filling the frame has no contour unless the frame counts as one.
    label = np.zeros((8, 8), dtype=np.int64)
    s = scores(label, label, width=1, num_classes=1)
    assert np.isnan(s['BIoU']).all() and np.isnan(s['BFscore']).all()
    s = scores(label, label, width=1, num_classes=1, frame_is_boundary=True)
    np.testing.assert_allclose(s['BIoU'], [1.0])
    stats = boundary_statistics(label, label, 1, 255, 1, frame_is_boundary=True)
    assert stats[0, 1] == 8 * 8 - 6 * 6


def test_absent_and_missed_classes():
    label = square_map(4)
    pred = np.zeros_like(label)  # class 1 missed entirely; class 2 absent from both maps
    s = scores(pred, label, width=1, num_classes=3)
    assert s['BIoU'][1] == 0 and s['BFscore'][1] == 0
    assert np.isnan(s['BIoU'][2]) and np.isnan(s['BFscore'][2])


def test_accumulates_over_images():
    # Dataset-level sums, not a mean of per-image scores: a perfect image plus a one-pixel-shift image gives class 1
    # a band intersection of 28 + 14 and a union of 28 + 42.
    label = square_map(4)
    s = statistics_to_scores(
        boundary_statistics(label, label, 2, 255, 1) + boundary_statistics(square_map(5), label, 2, 255, 1))
    assert s['BIoU'][1] == pytest.approx(42 / 70)


@pytest.mark.parametrize('kwargs, match', [
    (dict(width_px=None, width_ratio=None), 'exactly one'),
    (dict(width_px=0), 'positive integer'),
    (dict(width_ratio=2.0), r'\(0, 1\)'),
    (dict(metrics=['mIoU']), 'subset'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BoundaryMetric(**kwargs)


def test_next_to_iou_metric_in_an_evaluator():
    init_default_scope('mmseg')
    from mmengine.evaluator import Evaluator
    evaluator = Evaluator([dict(type='IoUMetric', iou_metrics=['mIoU']), dict(type='BoundaryMetric', width_px=1)])
    evaluator.dataset_meta = dict(classes=['c0', 'c1'])
    sample = dict(pred_sem_seg=PixelData(data=torch.from_numpy(square_map(5))[None]).to_dict(),
                  gt_sem_seg=PixelData(data=torch.from_numpy(square_map(4))[None]).to_dict())
    evaluator.process([sample])
    result = evaluator.evaluate(1)
    assert set(result) == {'aAcc', 'mIoU', 'mAcc', 'mBIoU', 'mBFscore'}
    assert result['mBIoU'] == pytest.approx(100 / 3, abs=0.005)


def test_one_pixel_shift_biou_with_width_two():
    # d = 2: each band is two rings wide. Prediction = ground truth shifted right by one pixel (cols 5..12).
    # Class 1: band = square minus its inner 4x4, 64 - 16 = 48 px. Both squares: rows 4..11, cols 5..11 (56 px),
    #   minus the union of the inner squares (rows 6..9, cols 6..9 and 7..10: 4 x 5 = 20 px) = 36 shared px.
    #   BIoU = 36 / (48 + 48 - 36) = 3/5.
    # Class 0: band = 12x12 box around the square minus the square, 144 - 64 = 80 px. Both boxes: rows 2..13,
    #   cols 3..13 (132 px), minus the union of the squares (rows 4..11, cols 4..12: 72 px) = 60 shared px.
    #   BIoU = 60 / (80 + 80 - 60) = 3/5. (With d = 1 the same pair scores 1/3: the width is honoured.)
    s = scores(square_map(5), square_map(4), width=2)
    np.testing.assert_allclose(s['BIoU'], [3 / 5, 3 / 5])
    result = evaluate([(square_map(5), square_map(4))], width_px=2)
    assert result['mBIoU'] == pytest.approx(60.0, abs=0.005)


def test_three_pixel_shift_fscore_with_width_two():
    # d = 2 (chessboard), prediction shifted right by three pixels (cols 7..14); contours are one pixel wide.
    # Class 1 predicted contour (28 px): rows 4 and 11 cols 7..13 matched (7 + 7), col 14 is 3 px away (2 px);
    #   left col 7 rows 5..10: rows 5, 6, 9, 10 are within 2 of GT rows 4 / 11, rows 7, 8 are not (2 px); right col 14
    #   rows 5..10 are 3 px from GT col 11 (6 px). P = 18/28 = 9/14 = R (mirror image), F = 9/14.
    # Class 0 predicted contour (outer ring rows 3..12, cols 6..15, 36 px): rows 3 and 12 cols 6..14 matched
    #   (9 + 9), col 15 not (2 px); col 6 rows 4..11 matched at rows 4, 5, 10, 11 (4 unmatched); col 15 rows 4..11
    #   are 3 px from GT col 12 (8 unmatched). P = 22/36 = 11/18 = R, F = 11/18.
    s = scores(square_map(7), square_map(4), width=2)
    np.testing.assert_allclose(s['BPrecision'], [11 / 18, 9 / 14])
    np.testing.assert_allclose(s['BRecall'], [11 / 18, 9 / 14])
    np.testing.assert_allclose(s['BFscore'], [11 / 18, 9 / 14])
    # With d = 1 the same pair matches fewer pixels: the F-score tolerance is the width.
    assert (scores(square_map(7), square_map(4), width=1)['BFscore'] < s['BFscore']).all()
