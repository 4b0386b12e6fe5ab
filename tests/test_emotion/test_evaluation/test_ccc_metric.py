"""CCCMetric: the official pooled score, per-video averaging, order independence and the submission CSV."""
import csv
from unittest.mock import patch

import numpy as np
import pytest

from mmext.emotion.evaluation.metrics.ccc_metric import fallback_predictions
from mmext.registry import METRICS


def official_ccc(y_true, y_pred):
    """calculateEvaluationCCC.py (OMG-Emotion challenge), restated with numpy."""
    rho = np.corrcoef(y_pred, y_true)[0, 1]
    sd_t, sd_p = np.std(y_true), np.std(y_pred)
    return 2 * rho * sd_t * sd_p / (sd_p**2 + sd_t**2 + (np.mean(y_pred) - np.mean(y_true))**2)


def make_samples(gt_a, pred_a, gt_v=None, pred_v=None, videos=None):
    samples = []
    for i in range(len(gt_a)):
        s = dict(video=videos[i] if videos is not None else f'v{i // 5}', utterance=f'utterance_{i}.mp4',
                 order_idx=i, gt_arousal=gt_a[i], pred_arousal=pred_a[i])
        if gt_v is not None:
            s.update(gt_valence=gt_v[i], pred_valence=pred_v[i])
        samples.append(s)
    return samples


def evaluate(metric, samples, batch=7):
    for start in range(0, len(samples), batch):
        metric.process(None, samples[start:start + batch])
    return metric.evaluate(len(samples))


def test_pooled_equals_official_script_on_random_data():
    rng = np.random.default_rng(0)
    gt_a, gt_v = rng.uniform(0, 1, 60), rng.uniform(-1, 1, 60)
    pred_a, pred_v = 0.5 * gt_a + rng.normal(0.2, 0.1, 60), gt_v + rng.normal(0, 0.4, 60)
    metrics = evaluate(METRICS.build(dict(type='CCCMetric')), make_samples(gt_a, pred_a, gt_v, pred_v))
    assert metrics['omg/arousal_ccc'] == pytest.approx(official_ccc(gt_a, pred_a), abs=1e-10)
    assert metrics['omg/valence_ccc'] == pytest.approx(official_ccc(gt_v, pred_v), abs=1e-10)
    assert metrics['omg/arousal_pearson'] == pytest.approx(np.corrcoef(pred_a, gt_a)[0, 1], abs=1e-10)
    assert metrics['omg/valence_mse'] == pytest.approx(np.mean((pred_v - gt_v)**2))
    assert metrics['omg/mean_ccc'] == pytest.approx((metrics['omg/arousal_ccc'] + metrics['omg/valence_ccc']) / 2)
    assert metrics['omg/mean_mse'] == pytest.approx((metrics['omg/arousal_mse'] + metrics['omg/valence_mse']) / 2)


def test_identity_and_negated_centred():
    y = np.linspace(0, 1, 20)
    assert evaluate(METRICS.build(dict(type='CCCMetric')), make_samples(y, y))['omg/arousal_ccc'] == pytest.approx(1)
    centred = y - y.mean()
    metrics = evaluate(METRICS.build(dict(type='CCCMetric')), make_samples(centred, -centred))
    assert metrics['omg/arousal_ccc'] == pytest.approx(-1)


def test_per_video_differs_from_pooled_on_a_crafted_example():
    # Inside each video the prediction is perfect up to a per-video offset: pooled CCC is hurt by the offsets,
    # per-video CCC is not.
    gt = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.8])
    pred = gt + np.array([0.3, 0.3, 0.3, -0.3, -0.3, -0.3])
    videos = ['a'] * 3 + ['b'] * 3
    pooled = evaluate(METRICS.build(dict(type='CCCMetric')), make_samples(gt, pred, videos=videos))
    per_video = evaluate(METRICS.build(dict(type='CCCMetric', mode='per_video')),
                         make_samples(gt, pred, videos=videos))
    expected = np.mean([official_ccc(gt[:3], pred[:3]), official_ccc(gt[3:], pred[3:])])
    assert per_video['omg/arousal_ccc'] == pytest.approx(expected)
    assert pooled['omg/arousal_ccc'] == pytest.approx(official_ccc(gt, pred))
    assert abs(per_video['omg/arousal_ccc'] - pooled['omg/arousal_ccc']) > 0.1


def test_shuffled_batches_give_same_metrics_and_csv_in_gold_order(tmp_path):
    rng = np.random.default_rng(1)
    gt, pred = rng.uniform(0, 1, 30), rng.uniform(0, 1, 30)
    samples = make_samples(gt, pred, gt * 2 - 1, pred * 2 - 1)
    out_csv = tmp_path / 'sub' / 'predictions.csv'
    ordered = evaluate(METRICS.build(dict(type='CCCMetric')), samples)
    shuffled = [samples[i] for i in rng.permutation(30)]
    metrics = evaluate(METRICS.build(dict(type='CCCMetric', out_csv=str(out_csv))), shuffled)
    assert metrics == pytest.approx(ordered)
    with open(out_csv) as f:
        rows = list(csv.DictReader(f))
    assert [r['utterance'] for r in rows] == [f'utterance_{i}.mp4' for i in range(30)]
    assert float(rows[3]['arousal']) == pytest.approx(pred[3])


def test_constant_predictions_score_zero_with_warning(caplog):
    metrics = evaluate(METRICS.build(dict(type='CCCMetric', targets=('arousal', ))),
                       make_samples(np.linspace(0, 1, 10), np.full(10, 0.4)))
    assert metrics['omg/arousal_ccc'] == 0.0 and metrics['omg/arousal_pearson'] == 0.0


def test_errors_are_named():
    with pytest.raises(ValueError, match='mode'):
        METRICS.build(dict(type='CCCMetric', mode='video'))
    metric = METRICS.build(dict(type='CCCMetric', targets=('valence', )))
    with pytest.raises(KeyError, match='pred_valence'):
        evaluate(metric, make_samples(np.linspace(0, 1, 4), np.linspace(0, 1, 4)))


def test_fallback_is_the_video_mean_else_the_split_mean():
    predicted = [dict(video='a', pred_arousal=0.2, pred_valence=-0.5), dict(video='a', pred_arousal=0.4,
                                                                              pred_valence=0.1),
                 dict(video='b', pred_arousal=0.9, pred_valence=0.5)]
    missing = [dict(video='a', order_idx=7), dict(video='c', order_idx=9)]
    filled = fallback_predictions(predicted, missing, ('arousal', 'valence'))
    assert filled[0] == dict(video='a', order_idx=7, pred_arousal=pytest.approx(0.3), pred_valence=pytest.approx(-0.2))
    assert filled[1]['pred_arousal'] == pytest.approx(0.5) and filled[1]['pred_valence'] == pytest.approx(0.1 / 3)
    with pytest.raises(ValueError, match='no row to take it from'):
        fallback_predictions([], missing, ('arousal', ))


def test_rows_without_features_are_scored_with_the_fallback(tmp_path, caplog):
    rng = np.random.default_rng(2)
    gt, pred = rng.uniform(0, 1, 20), rng.uniform(0, 1, 20)
    samples = make_samples(gt, pred)
    unscored = [{k: samples[i][k] for k in ('video', 'utterance', 'order_idx', 'gt_arousal')} for i in (3, 11)]
    metric = METRICS.build(dict(type='CCCMetric', out_csv=str(tmp_path / 'p.csv')))
    metric.dataset_meta = dict(unscored=unscored)
    with patch('mmext.emotion.evaluation.metrics.ccc_metric.print_log') as log:
        metrics = evaluate(metric, [s for i, s in enumerate(samples) if i not in (3, 11)])
    assert '2 rows of the split have no features' in log.call_args_list[0].args[0]
    full = pred.copy()
    full[3], full[11] = np.mean(pred[[0, 1, 2, 4]]), np.mean(pred[[10, 12, 13, 14]])  # videos v0 and v2
    assert metrics['omg/arousal_ccc'] == pytest.approx(official_ccc(gt, full), abs=1e-12)
    with open(tmp_path / 'p.csv') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 20 and float(rows[11]['arousal']) == pytest.approx(full[11])
    ignoring = METRICS.build(dict(type='CCCMetric', missing='ignore'))
    ignoring.dataset_meta = dict(unscored=unscored)
    kept = [i for i in range(20) if i not in (3, 11)]
    assert evaluate(ignoring, [samples[i] for i in kept])['omg/arousal_ccc'] == pytest.approx(
        official_ccc(gt[kept], pred[kept]), abs=1e-12)


def test_unlabelled_split_only_writes_the_csv(tmp_path):
    samples = [dict(video='v', utterance=f'u{i}.mp4', order_idx=i, pred_arousal=0.1 * i) for i in range(3)]
    assert evaluate(METRICS.build(dict(type='CCCMetric', out_csv=str(tmp_path / 'p.csv'))), samples) == {}
    assert (tmp_path / 'p.csv').read_text().splitlines() == ['video,utterance,arousal,valence', 'v,u0.mp4,0.0,',
                                                               'v,u1.mp4,0.1,', 'v,u2.mp4,0.2,']
    with pytest.raises(ValueError, match='evaluate on a split with labels'):
        evaluate(METRICS.build(dict(type='CCCMetric')), samples)
