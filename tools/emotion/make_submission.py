"""Write an OMG-Emotion challenge submission: run the arousal and valence models (two checkpoints, one per target as
in the paper, or one checkpoint predicting both) on a split and write one CSV in the official format.

    python tools/emotion/make_submission.py --model CONFIG CHECKPOINT [--model CONFIG CHECKPOINT] --out FILE.csv
                                            [--split test|val] [--gold LABELLED.csv] [--ccc-mode pooled|per_video]
                                            [--cfg-options k=v ...]

The file has the columns ``video,utterance,arousal,valence`` and one row per data row of the split's CSV (the
config's ``<split>_dataloader.dataset.ann_file``), in that CSV's order, both columns filled: the challenge's
``calculateEvaluationCCC.py`` reads the columns by name and pairs the rows by position. Utterances the models could
not see (no feature cache: missing or undecodable media, a malformed CSV row) get the fallback prediction of
``CCCMetric`` (the mean prediction of the other utterances of their video, else of the split) and are counted in a
warning; utterances without a face or with silent audio are predicted with that modality masked (the test configs
keep them: ``faceless='keep'``).

``--gold`` scores the file against a labelled CSV of the same rows (e.g. ``omg_TestVideos_WithLabels.csv``) with the
official formula, pooled over the split (the final script) or ``--ccc-mode per_video`` (the earlier script and the
challenge README).
"""
import argparse
import csv
import logging
import os
import os.path as osp
import sys
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # run from a checkout

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner, load_checkpoint  # noqa: E402

import mmext.emotion  # noqa: E402,F401
from mmext.emotion.datasets import read_all_rows  # noqa: E402
from mmext.emotion.evaluation.metrics.ccc_metric import fallback_predictions, score  # noqa: E402
from mmext.emotion.structures import AFFECT_TARGETS  # noqa: E402
from mmext.registry import MODELS  # noqa: E402
from mmext.utils.checkpoint_compat import trusted_checkpoint_loading  # noqa: E402

Key = Tuple[str, str]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Write an OMG-Emotion submission CSV (official format and order)')
    parser.add_argument('--model', nargs=2, action='append', required=True, metavar=('CONFIG', 'CHECKPOINT'),
                        help='a model and its checkpoint; twice for one arousal and one valence model')
    parser.add_argument('--out', required=True, help='the submission CSV to write')
    parser.add_argument('--split', choices=('test', 'val'), default='test', help='which dataloader of the configs')
    parser.add_argument('--gold', help='a labelled CSV of the same rows to score the file against')
    parser.add_argument('--ccc-mode', choices=('pooled', 'per_video'), default='pooled',
                        help='CCC over the whole split (the final official script) or averaged over videos')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings of every config')
    return parser.parse_args(argv)


def predict(config: str, checkpoint: str, split: str, cfg_options=None) -> Tuple[Tuple[str, ...], Dict[Key, dict],
                                                                                 str]:
    """The model's targets, its predictions per (video, utterance) and the split CSV it ran on."""
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmext'))
    loader = Runner.build_dataloader(cfg[f'{split}_dataloader'])
    model = MODELS.build(cfg.model)
    with trusted_checkpoint_loading():  # the user named this checkpoint, as tools/test.py CHECKPOINT
        load_checkpoint(model, checkpoint, map_location='cpu', logger='current')
    model.eval()
    predictions = {}
    with torch.no_grad():
        for data in loader:
            for sample in model.test_step(data):
                predictions[(sample.video, sample.utterance)] = {
                    f'pred_{t}': float(sample.get(f'pred_{t}')) for t in model.head.targets}
    return tuple(model.head.targets), predictions, loader.dataset.ann_file


def merge_models(outputs: Sequence[Tuple[Tuple[str, ...], Dict[Key, dict], str]]) -> Tuple[Dict[Key, dict], str]:
    """One prediction dict with every target, from models that each predict some of them."""
    csvs = {ann_file for _, _, ann_file in outputs}
    if len(csvs) != 1:
        raise ValueError(f'the models ran on different split CSVs {sorted(csvs)}; give configs of the same split')
    seen: Dict[str, int] = {}
    for i, (targets, _, _) in enumerate(outputs):
        for target in targets:
            if target in seen:
                raise ValueError(f'{target} is predicted by model {seen[target] + 1} and model {i + 1}; give one '
                                 'model per target')
            seen[target] = i
    missing = [t for t in AFFECT_TARGETS if t not in seen]
    if missing:
        raise ValueError(f'no model predicts {missing}; a submission needs arousal and valence (give --model twice, '
                         'one per target, or a model whose head predicts both)')
    merged: Dict[Key, dict] = defaultdict(dict)
    keys = set.intersection(*(set(predictions) for _, predictions, _ in outputs))
    for _, predictions, _ in outputs:
        for key in keys:
            merged[key].update(predictions[key])
    return dict(merged), csvs.pop()


def write_submission(rows: List[Dict[str, str]], predictions: Dict[Key, dict], out: str) -> int:
    """Writes ``video,utterance,arousal,valence`` for every row in order; returns how many got the fallback."""
    predicted = [dict(video=key[0], **values) for key, values in predictions.items()]
    lines, missing = [], []
    for index, row in enumerate(rows):
        values = predictions.get((row['video'], row['utterance']))
        if values is None:
            missing.append(dict(video=row['video'], index=index))
        lines.append(dict(video=row['video'], utterance=row['utterance'], **(values or {})))
    for filled in fallback_predictions(predicted, missing, AFFECT_TARGETS):
        lines[filled['index']].update({f'pred_{t}': filled[f'pred_{t}'] for t in AFFECT_TARGETS})
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['video', 'utterance', *AFFECT_TARGETS])
        for line in lines:
            writer.writerow([line['video'], line['utterance'], *(repr(line[f'pred_{t}']) for t in AFFECT_TARGETS)])
    return len(missing)


def official_score(gold_csv: str, submission_csv: str, mode: str = 'pooled') -> Dict[str, float]:
    """CCC, Pearson's r and MSE of each target, the submission's rows paired with the gold CSV's by position (as the
    challenge's script does); ``mode='per_video'`` averages the CCC over the gold CSV's videos."""
    gold, pred = read_all_rows(gold_csv), read_all_rows(submission_csv)
    if len(gold) != len(pred):
        raise ValueError(f'{submission_csv} has {len(pred)} rows but {gold_csv} has {len(gold)}; the official script '
                         'pairs rows by position')
    out = {}
    for target in AFFECT_TARGETS:
        g = np.array([float(r[target]) for r in gold])
        p = np.array([float(r[target]) for r in pred])
        scores = score(p, g, target)
        if mode == 'per_video':
            videos = np.array([r['video'] for r in gold])
            scores['ccc'] = float(np.mean([score(p[videos == v], g[videos == v], f'{target} of {v}')['ccc']
                                           for v in dict.fromkeys(videos)]))
        out.update({f'{target}_{k}': v for k, v in scores.items()})
    return out


def main(argv=None) -> dict:
    args = parse_args(argv)
    if len(args.model) > 2:
        raise ValueError(f'--model is given {len(args.model)} times; a submission needs one or two models')
    outputs = [predict(config, checkpoint, args.split, args.cfg_options) for config, checkpoint in args.model]
    predictions, split_csv = merge_models(outputs)
    rows = read_all_rows(split_csv)
    fallback = write_submission(rows, predictions, args.out)
    if fallback:
        print_log(f'{fallback} of {len(rows)} rows of {split_csv} had no prediction (no feature cache: missing or '
                  'undecodable media, or a malformed row) and got the fallback prediction (mean of their video, '
                  'else of the split)', logger='current', level=logging.WARNING)
    summary = dict(rows=len(rows), predicted=len(rows) - fallback, fallback=fallback)
    print_log(f'wrote {args.out}: {summary}', logger='current')
    if args.gold:
        summary.update(official_score(args.gold, args.out, args.ccc_mode))
        print_log(f'{args.ccc_mode} score against {args.gold}: ' +
                  ', '.join(f'{k} {v:.4f}' for k, v in summary.items() if k.endswith(('ccc', 'pearson', 'mse'))),
                  logger='current')
    return summary


if __name__ == '__main__':
    main()
