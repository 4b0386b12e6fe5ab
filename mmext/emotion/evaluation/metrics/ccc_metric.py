"""OMG-Emotion challenge score: concordance correlation coefficient of arousal and valence.

Matches the challenge's ``calculateEvaluationCCC.py`` (knowledgetechnologyuhh/OMGEmotionChallenge, final version):
CCC pooled over all utterances of the split with population standard deviations, plus Pearson's r and the MSE it
also prints. The script's earlier version (and the challenge README) averaged per-video CCCs: ``mode='per_video'``.
The script matches prediction rows by position, so results are sorted by the gold CSV's row (``order_idx``) before
scoring and before the optional prediction CSV is written.

The script scores every row of the gold CSV. Rows the dataset could not feed to the model (no feature cache: the
media were missing or undecodable; listed in the dataset's ``metainfo['unscored']``) are therefore scored with a
fallback prediction (:func:`fallback_predictions`) and counted in a warning, so the validation score is the one the
official script would give a file with a prediction in every row.
"""
import csv
import logging
import os
import os.path as osp
from collections import OrderedDict, defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmext.registry import METRICS
from mmext.utils.validation import check_choice
from ...functional import concordance_cc, pearson_cc
from ...structures import AFFECT_TARGETS


def _as_float(value) -> float:
    return float(value.item() if isinstance(value, torch.Tensor) else value)


def fallback_predictions(predicted: Sequence[dict], missing: Sequence[dict],
                         targets: Sequence[str]) -> List[dict]:
    """Predictions for the rows the model could not see: each target's mean prediction over the other utterances of
    the same video (same speaker and recording, the strongest cue the data offers), or over the whole split for a
    video with no predicted utterance.

    Args:
        predicted (Sequence[dict]): Rows with ``video`` and ``pred_<target>`` for each target.
        missing (Sequence[dict]): Rows with ``video`` (and whatever else, kept).
        targets (Sequence[str]): The targets to fill.

    Returns:
        list[dict]: copies of ``missing`` with ``pred_<target>`` set.
    """
    if missing and not predicted:
        raise ValueError(f'{len(missing)} rows need a fallback prediction but the model predicted no row to take it '
                         'from; extract the features of the split first')
    by_video = defaultdict(list)
    for row in predicted:
        by_video[row['video']].append(row)
    filled = []
    for row in missing:
        pool = by_video.get(row['video']) or predicted
        filled.append(dict(row, **{f'pred_{t}': float(np.mean([r[f'pred_{t}'] for r in pool])) for t in targets}))
    return filled


def score(pred: np.ndarray, gt: np.ndarray, name: str) -> Dict[str, float]:
    """CCC, Pearson's r and MSE of one target; a degenerate CCC or r (constant inputs) is 0.0 with a warning.

    Args:
        pred (np.ndarray): Predictions, shape (N,).
        gt (np.ndarray): Ground truth, shape (N,).
        name (str): For the warning.

    Returns:
        dict: ``ccc``, ``pearson``, ``mse`` as floats.
    """
    p, g = torch.from_numpy(pred.astype(np.float64)), torch.from_numpy(gt.astype(np.float64))
    out = dict(ccc=float(concordance_cc(p, g)), pearson=float(pearson_cc(p, g)), mse=float(np.mean((pred - gt)**2)))
    for key in ('ccc', 'pearson'):
        if not np.isfinite(out[key]):
            print_log(f'{name}: {key} is undefined for constant predictions or ground truth ({len(pred)} items); '
                      'reporting 0.0', logger='current', level=logging.WARNING)
            out[key] = 0.0
    return out


@METRICS.register_module()
class CCCMetric(BaseMetric):
    """Concordance correlation coefficient (with Pearson's r and MSE) per affect target.

    Returns ``<target>_ccc``, ``<target>_pearson``, ``<target>_mse`` for each target found in the predictions, and
    ``mean_ccc`` and ``mean_mse`` over them (so a config can monitor ``omg/mean_mse`` whatever its target), under
    the prefix ``omg/`` (``omg/arousal_ccc``...).

    Args:
        targets (Sequence[str], optional): ``'arousal'`` and/or ``'valence'``; None = every target the samples carry
            both ``pred_<target>`` and ``gt_<target>`` of.
        mode (str): ``'pooled'`` (the official score) or ``'per_video'`` (mean of per-video CCCs; Pearson's r and
            MSE stay pooled).
        out_csv (str, optional): Writes the predictions in the official submission format (``video, utterance,
            arousal, valence``; rows in the gold CSV's order) to this file. On a split without labels (the test
            CSV) the metric only writes this file and returns no score.
        missing (str): Rows of the dataset's ``metainfo['unscored']`` (no features) are scored with
            :func:`fallback_predictions` (``'fallback'``, as the official script scores every row) or left out
            (``'ignore'``). Default: ``'fallback'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``, for distributed collection. Default: ``'cpu'``.
        prefix (str, optional): Default: ``'omg'``.
    """
    default_prefix = 'omg'

    def __init__(self,
                 targets: Optional[Sequence[str]] = None,
                 mode: str = 'pooled',
                 out_csv: Optional[str] = None,
                 missing: str = 'fallback',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        check_choice('mode', mode, ('pooled', 'per_video'))
        check_choice('missing', missing, ('fallback', 'ignore'))
        self.missing = missing
        for target in targets or ():
            check_choice('targets', target, AFFECT_TARGETS)
        self.targets = tuple(targets) if targets is not None else None
        self.mode = mode
        self.out_csv = out_csv

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Stores ``video``, ``utterance``, ``order_idx`` and every ``pred_*`` / ``gt_*`` of each sample."""
        for sample in data_samples:
            result = dict(video=sample.get('video'), utterance=sample.get('utterance'),
                          order_idx=sample.get('order_idx', len(self.results)))
            for target in AFFECT_TARGETS:
                for kind in ('pred', 'gt'):
                    if f'{kind}_{target}' in sample:
                        result[f'{kind}_{target}'] = _as_float(sample[f'{kind}_{target}'])
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        predicted = self.targets or tuple(t for t in AFFECT_TARGETS if results and all(f'pred_{t}' in r
                                                                                       for r in results))
        unscored = (self.dataset_meta or {}).get('unscored', []) if self.missing == 'fallback' else []
        if unscored:
            print_log(f'{len(unscored)} rows of the split have no features (missing or undecodable media); they are '
                      'scored with the fallback prediction (mean prediction of their video, else of the split)',
                      logger='current', level=logging.WARNING)
            results = [*results, *fallback_predictions(results, unscored, predicted)]
        results = sorted(results, key=lambda r: r['order_idx'])
        targets = self.targets or tuple(
            t for t in AFFECT_TARGETS if results and all(f'pred_{t}' in r and f'gt_{t}' in r for r in results))
        if self.out_csv is not None:
            self._write_csv(results)
        if not targets:
            if self.out_csv is not None and not any(k.startswith('gt_') for r in results for k in r):
                print_log('no labels in this split: predictions written, nothing scored', logger='current')
                return OrderedDict()
            raise ValueError('CCCMetric found no target with both pred_<target> and gt_<target> in every sample; '
                             'evaluate on a split with labels')
        metrics = OrderedDict()
        for target in targets:
            missing = [r['order_idx'] for r in results if f'pred_{target}' not in r or f'gt_{target}' not in r]
            if missing:
                raise KeyError(f'{len(missing)} samples (order_idx {missing[:5]}...) lack pred_{target} or '
                               f'gt_{target}; set CCCMetric targets to the ones the model predicts')
            pred = np.array([r[f'pred_{target}'] for r in results])
            gt = np.array([r[f'gt_{target}'] for r in results])
            scores = score(pred, gt, target)
            if self.mode == 'per_video':
                scores['ccc'] = self._per_video_ccc(results, target)
            for key in ('ccc', 'pearson', 'mse'):
                metrics[f'{target}_{key}'] = scores[key]
        metrics['mean_ccc'] = float(np.mean([metrics[f'{t}_ccc'] for t in targets]))
        metrics['mean_mse'] = float(np.mean([metrics[f'{t}_mse'] for t in targets]))
        return metrics

    @staticmethod
    def _per_video_ccc(results: List[dict], target: str) -> float:
        videos = defaultdict(list)
        for r in results:
            videos[r['video']].append((r[f'pred_{target}'], r[f'gt_{target}']))
        values = [score(*np.array(pairs).T, name=f'{target} of video {video}')['ccc'] for video, pairs in
                  videos.items()]
        return float(np.mean(values))

    def _write_csv(self, results: List[dict]) -> None:
        os.makedirs(osp.dirname(osp.abspath(self.out_csv)), exist_ok=True)
        with open(self.out_csv, 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['video', 'utterance', *AFFECT_TARGETS])
            for r in results:
                writer.writerow([r['video'], r['utterance'], *(r.get(f'pred_{t}', '') for t in AFFECT_TARGETS)])
        print_log(f'wrote {len(results)} predictions to {self.out_csv}', logger='current')
