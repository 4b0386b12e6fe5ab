"""Teacher and student IoU and pseudo-label statistics of a semi-supervised (or supervised-only) segmentation
checkpoint.

    python tools/analysis_tools/semi_seg_stats.py CONFIG CHECKPOINT [--out stats.json] [--tau 0.95]
        [--unlabeled-indices START END] [--max-images N] [--cfg-options k=v ...]

For the model of CONFIG with the weights of CHECKPOINT (an AugSeg / iMAS checkpoint with ``student.`` and
``teacher.`` weights, or a plain mmseg segmentor's):

1. per-class IoU on the validation set (``val_dataloader``), with mmseg's ``IoUMetric`` arithmetic and the config's
   ``test_cfg`` (as ``tools/test.py`` evaluates): for the teacher and the student of a ``SemiBaseSegmentor``, as
   mmdet's ``TeacherStudentValLoop`` does (``semi_test_cfg.predict_on`` switched), for the model itself (``model``)
   otherwise;
2. pseudo-labels on the unlabelled training images: the teacher (or the plain model) forwards each whole image once
   (``test_cfg.mode='whole'``: training pseudo-labels come from one forward of the whole view, never a sliding
   window), ``conf, label = max_k softmax(logits)``, and the pseudo-label is kept where ``conf >= tau``. Reported:
   the kept ratio, the accuracy of the kept and of all pseudo-labels against the ground truth, the class fractions of
   the kept pseudo-labels, of all argmax labels and of the ground truth, and per ground-truth class the fraction of its
   pixels that is kept (a thin or rare class whose pixels are never confident gets no unsupervised signal).

The unlabelled images are the second dataset of the config's ``ConcatDataset`` (the AugSeg / iMAS layout: labelled,
then unlabelled); for a plain config, ``--unlabeled-indices START END`` selects ``range(START, END)`` of its training
set (it also replaces the unlabelled set's ``indices`` of a semi-supervised config). Either is read with the
validation pipeline (the toy scene sets are fully annotated, so the ground truth is there to compare with). Pixels
without a ground-truth class (ignore index) take no part in the pseudo-label statistics.

IoU is in % (mmseg's convention); pseudo-label statistics are fractions in [0, 1] in the JSON (``--out``, default
``<checkpoint stem>_stats.json`` next to the checkpoint) and % in the Markdown tables printed on stdout. Values that
are undefined (a class absent from both prediction and ground truth, accuracy with no kept pixel) are ``null``.
"""
import argparse
import contextlib
import copy
import json
import math
import os
import os.path as osp
import sys
from typing import Dict, Iterator, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint
from mmengine.utils import ProgressBar
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import MODELS
from torch import Tensor

from mmext.seg.models.segmentors import SemiBaseSegmentor
from mmext.utils.checkpoint_compat import trusted_checkpoint_loading


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='the mmseg config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='checkpoint file (semi-supervised or plain segmentor)')
    parser.add_argument('--out', help='JSON file to write (default: <checkpoint stem>_stats.json next to it)')
    parser.add_argument('--tau', type=float, default=0.95,
                        help='confidence threshold of kept pseudo-labels (default: 0.95, AugSeg\'s)')
    parser.add_argument('--unlabeled-indices', type=int, nargs=2, metavar=('START', 'END'),
                        help='training images range(START, END) as the unlabelled set (needed for a config whose '
                        'training set is not a labelled + unlabelled ConcatDataset)')
    parser.add_argument('--max-images', type=int, help='only the first N images of the validation and unlabelled sets')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides, key=value pairs')
    return parser.parse_args(argv)


# ------------------------------------------------------------------------------------------------ pure computations
def pseudo_label_counts(conf: Tensor, label: Tensor, gt: Tensor, tau: float, num_classes: int) -> Dict[str, Tensor]:
    """Pixel counts of pseudo-labels against the ground truth (sums over images give the counts of the union).

    Args:
        conf (Tensor): ``(...)`` highest softmax probability of each pixel.
        label (Tensor): ``(...)`` argmax class in ``[0, K)``, same shape.
        gt (Tensor): ``(...)`` ground-truth class; pixels outside ``[0, K)`` (the ignore index) are skipped.
        tau (float): a pseudo-label is kept where ``conf >= tau``.
        num_classes (int): K.

    Returns:
        dict[str, Tensor]: int64 counts: ``gt``, ``argmax``, ``kept`` ``(K,)`` (pixels per ground-truth class, per
        argmax class, per kept pseudo-label class), ``kept_by_gt`` ``(K,)`` (kept pixels per ground-truth class),
        ``correct_kept``, ``correct_all`` ``()`` (pseudo-label equal to the ground truth, kept / all pixels).
    """
    valid = (gt >= 0) & (gt < num_classes)
    conf, label, gt = conf[valid], label[valid].long(), gt[valid].long()
    kept = conf >= tau
    correct = label == gt
    return dict(
        gt=torch.bincount(gt, minlength=num_classes),
        argmax=torch.bincount(label, minlength=num_classes),
        kept=torch.bincount(label[kept], minlength=num_classes),
        kept_by_gt=torch.bincount(gt[kept], minlength=num_classes),
        correct_kept=(correct & kept).sum(),
        correct_all=correct.sum())


def ratio(numerator: Tensor, denominator: Tensor) -> Tensor:
    """Element-wise ``numerator / denominator`` in float64, NaN where the denominator is 0."""
    numerator, denominator = numerator.double(), denominator.double()
    return torch.where(denominator > 0, numerator / denominator, math.nan)


def pseudo_label_summary(counts: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Fractions from the counts of :func:`pseudo_label_counts` (NaN where undefined).

    Returns:
        dict[str, Tensor]: ``kept_ratio``, ``accuracy_kept``, ``accuracy_all`` ``()``; class fractions ``(K,)`` of
        the kept pseudo-labels (``fraction_kept``), of all argmax labels (``fraction_argmax``) and of the ground
        truth (``fraction_gt``); ``kept_ratio_per_class`` ``(K,)``: per ground-truth class, kept / its pixels.
    """
    pixels, kept = counts['gt'].sum(), counts['kept'].sum()
    return dict(
        kept_ratio=ratio(kept, pixels),
        accuracy_kept=ratio(counts['correct_kept'], kept),
        accuracy_all=ratio(counts['correct_all'], pixels),
        fraction_kept=ratio(counts['kept'], kept),
        fraction_argmax=ratio(counts['argmax'], pixels),
        fraction_gt=ratio(counts['gt'], pixels),
        kept_ratio_per_class=ratio(counts['kept_by_gt'], counts['gt']))


def iou_summary(areas: Sequence[tuple]) -> Dict[str, np.ndarray]:
    """Per-class IoU (%, NaN for a class in neither prediction nor ground truth), mIoU and aAcc (%).

    Args:
        areas (Sequence[tuple]): per image, the four ``(K,)`` areas of mmseg's ``IoUMetric.intersect_and_union``.
    """
    totals = [sum(area[i] for area in areas) for i in range(4)]
    metrics = IoUMetric.total_area_to_metrics(*totals, metrics=['mIoU'])  # numpy arrays
    iou = 100 * metrics['IoU']
    return dict(IoU=iou, mIoU=np.nanmean(iou), aAcc=100 * metrics['aAcc'])


# ------------------------------------------------------------------------------------------------ config and model
def drop_pretrained(cfg) -> None:
    """Removes every ``init_cfg`` and empties every ``pretrained`` of a model config, in place.

    CHECKPOINT replaces all weights, and some backbones read (or download) their pretrained weights in the
    constructor, so nothing else may be loaded.
    """
    if isinstance(cfg, dict):
        cfg.pop('init_cfg', None)
        if 'pretrained' in cfg:
            cfg['pretrained'] = None
        children = cfg.values()
    elif isinstance(cfg, (list, tuple)):
        children = cfg
    else:
        return
    for child in children:
        drop_pretrained(child)


def load_config(args: argparse.Namespace) -> Config:
    for name, path in (('config', args.config), ('checkpoint', args.checkpoint)):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{name} file {path!r} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if cfg.get('default_scope', 'mmseg') != 'mmseg':
        raise ValueError(f'{args.config}: default_scope is {cfg.default_scope!r}; this tool reads mmseg configs '
                         "(default_scope='mmseg')")
    if cfg.get('val_dataloader') is None:
        raise ValueError(f'{args.config} has no val_dataloader: the IoU is measured on the validation set and its '
                         'pipeline reads the unlabelled images; add one, e.g. the base config '
                         'configs/_base_/datasets/synthetic_shapes.py')
    return cfg


def build_model(cfg: Config, checkpoint: str, device: str) -> torch.nn.Module:
    """The model of ``cfg`` with the weights of ``checkpoint`` only, in eval mode on ``device``."""
    model_cfg = copy.deepcopy(cfg.model)
    drop_pretrained(model_cfg)
    model = revert_sync_batchnorm(MODELS.build(model_cfg))  # SyncBN needs a process group
    # The user names this file on purpose, as for tools/test.py: it may be a training checkpoint (message hub).
    with trusted_checkpoint_loading():
        try:
            load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
        except RuntimeError as error:
            raise RuntimeError(
                f'{checkpoint} does not fit the model of the config ({type(model).__name__}); a checkpoint with '
                'student./teacher. weights needs its semi-supervised config (a plain segmentor checkpoint loads into '
                f'both branches of one). mmengine said: {error}') from error
    return model.to(device).eval()


def limited(dataset_cfg: dict, max_images: Optional[int]) -> dict:
    """``dataset_cfg`` restricted to its first ``max_images`` images (mmengine's ``indices``), if a limit is given."""
    dataset_cfg = copy.deepcopy(dataset_cfg)
    if max_images is None:
        return dataset_cfg
    indices = dataset_cfg.get('indices')
    if indices is None:
        dataset_cfg['indices'] = max_images
    elif isinstance(indices, int):
        dataset_cfg['indices'] = min(indices, max_images)
    else:
        dataset_cfg['indices'] = list(indices)[:max_images]
    return dataset_cfg


def unlabeled_dataset_cfg(cfg: Config, indices: Optional[Sequence[int]]) -> dict:
    """The unlabelled training images' dataset config, with the validation pipeline.

    Args:
        cfg (Config): the config; its ``train_dataloader.dataset`` is a ``ConcatDataset`` of a labelled and an
            unlabelled dataset (AugSeg / iMAS), or one dataset.
        indices (Sequence[int], optional): ``(START, END)``: ``indices=range(START, END)`` replaces those of the
            unlabelled dataset (required for a single dataset).
    """
    train_loader = cfg.get('train_dataloader')
    if train_loader is None:
        raise ValueError('the config has no train_dataloader, whose unlabelled images are read')
    dataset = copy.deepcopy(train_loader.dataset)
    if dataset.get('type') == 'ConcatDataset':
        if len(dataset.datasets) != 2:
            raise ValueError(f'train_dataloader.dataset is a ConcatDataset of {len(dataset.datasets)} datasets; '
                             'expected 2, the labelled and the unlabelled one (the AugSeg / iMAS layout)')
        dataset = dataset.datasets[1]
    elif indices is None:
        raise ValueError('train_dataloader.dataset is one dataset, not a labelled + unlabelled ConcatDataset: give '
                         '--unlabeled-indices START END for the training images to treat as unlabelled (e.g. 50 400 '
                         'for the 1/8 split of the synthetic toys)')
    if indices is not None:
        dataset['indices'] = list(range(*indices))
    dataset['pipeline'] = copy.deepcopy(cfg.val_dataloader.dataset.pipeline)
    return dataset


def build_dataloader(cfg: Config, dataset_cfg: dict):
    """A loader of ``dataset_cfg`` with the validation loader's settings (batch size, workers, ordered sampler)."""
    return Runner.build_dataloader(dict(copy.deepcopy(cfg.val_dataloader), dataset=dataset_cfg))


# ------------------------------------------------------------------------------------------------ passes
@contextlib.contextmanager
def whole_image_inference(segmentor: torch.nn.Module) -> Iterator[None]:
    """mmseg's ``test_cfg.mode='whole'`` on ``segmentor`` inside the context (its own ``test_cfg`` afterwards)."""
    test_cfg = segmentor.test_cfg
    segmentor.test_cfg = ConfigDict(dict(test_cfg or {}, mode='whole'))
    try:
        yield
    finally:
        segmentor.test_cfg = test_cfg


def predictions(model: torch.nn.Module, dataloader) -> Iterator[list]:
    """The model's ``test_step`` outputs (``SegDataSample`` lists) batch by batch, with a progress bar on stderr."""
    progress = ProgressBar(len(dataloader.dataset), file=sys.stderr)
    with torch.no_grad():
        for data in dataloader:
            samples = model.test_step(data)
            progress.update(len(samples))
            yield samples
    sys.stderr.write('\n')


def evaluate_iou(model: torch.nn.Module, dataloader, dataset_meta: dict) -> Dict[str, np.ndarray]:
    """:func:`iou_summary` of the model's predictions, accumulated by mmseg's ``IoUMetric.process``."""
    metric = IoUMetric(iou_metrics=['mIoU'], prefix='val')
    metric.dataset_meta = dataset_meta
    for samples in predictions(model, dataloader):
        metric.process({}, [sample.to_dict() for sample in samples])
    return iou_summary(metric.results)


def pseudo_label_pass(model: torch.nn.Module, dataloader, tau: float, num_classes: int) -> Dict[str, Tensor]:
    """Sums of :func:`pseudo_label_counts` over the images, from the ``seg_logits`` of the model's predictions
    (``(K, H, W)``, resized to the ground truth's size by mmseg's post-processing)."""
    totals = {}
    for samples in predictions(model, dataloader):
        for sample in samples:
            logits = sample.seg_logits.data
            if logits.shape[0] != num_classes:
                raise ValueError(f'the model gives {logits.shape[0]} logit channels for {num_classes} classes; '
                                 'binary segmentors with one sigmoid channel have no softmax confidence')
            conf, label = logits.softmax(dim=0).max(dim=0)
            counts = pseudo_label_counts(conf, label, sample.gt_sem_seg.data[0], tau, num_classes)
            totals = {key: totals.get(key, 0) + value.cpu() for key, value in counts.items()}
    return totals


# ------------------------------------------------------------------------------------------------ report
def to_json_value(value) -> Optional[float]:
    value = float(value)
    return None if math.isnan(value) else value


def per_class(values, classes: Sequence[str]) -> Dict[str, Optional[float]]:
    return {name: to_json_value(v) for name, v in zip(classes, values)}


def percent(value: Optional[float], scale: float = 1.0) -> str:
    return '-' if value is None else f'{scale * value:.2f}'


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, the first column left-aligned and the others right-aligned."""
    lines = [header, [':---'] + ['---:'] * (len(header) - 1), *rows]
    return '\n'.join('| ' + ' | '.join(cells) + ' |' for cells in lines)


def markdown(stats: dict) -> str:
    """The Markdown tables of :func:`main`'s statistics."""
    classes, iou, pseudo = stats['classes'], stats['iou'], stats['pseudo_labels']
    branches = list(iou)
    iou_rows = [[name, *(percent(iou[b]['IoU'][name]) for b in branches)] for name in classes]
    iou_rows += [[f'**{key}**', *(percent(iou[b][key]) for b in branches)] for key in ('mIoU', 'aAcc')]
    overall = [[percent(pseudo[key], 100) for key in ('kept_ratio', 'accuracy_kept', 'accuracy_all')]]
    columns = [*(pseudo['class_fraction'][key] for key in ('ground_truth', 'argmax', 'kept')),
               pseudo['kept_ratio_per_class']]
    class_rows = [[name, *(percent(column[name], 100) for column in columns)] for name in classes]
    return '\n'.join([
        f'### Validation IoU (%), {iou[branches[0]]["num_images"]} images', '',
        table(['class', *branches], iou_rows), '',
        f'### Pseudo-labels of the {pseudo["model"]} on {pseudo["num_images"]} unlabelled images '
        f'({pseudo["num_pixels"]} pixels), tau = {pseudo["tau"]} (%)', '',
        table(['kept ratio', 'accuracy of kept', 'accuracy of all'], overall), '',
        table(['class', 'ground truth', 'argmax', 'kept', 'kept ratio of its pixels'], class_rows)])


def main(argv=None) -> dict:
    """Runs the tool; returns the statistics written to the JSON file."""
    args = parse_args(argv)
    cfg = load_config(args)
    # Before any model is run, so that a config without an unlabelled set fails at once.
    unlabeled_cfg = limited(unlabeled_dataset_cfg(cfg, args.unlabeled_indices), args.max_images)
    init_default_scope('mmseg')
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model = build_model(cfg, args.checkpoint, device)
    semi = isinstance(model, SemiBaseSegmentor)

    val_loader = build_dataloader(cfg, limited(cfg.val_dataloader.dataset, args.max_images))
    dataset_meta = val_loader.dataset.metainfo
    classes = list(dataset_meta['classes'])
    iou = {}
    for branch in ('teacher', 'student') if semi else ('model', ):
        if semi:
            model.semi_test_cfg['predict_on'] = branch
        summary = evaluate_iou(model, val_loader, dataset_meta)
        iou[branch] = dict(num_images=len(val_loader.dataset), IoU=per_class(summary['IoU'], classes),
                           mIoU=to_json_value(summary['mIoU']), aAcc=to_json_value(summary['aAcc']))

    unlabeled_loader = build_dataloader(cfg, unlabeled_cfg)
    if semi:
        model.semi_test_cfg['predict_on'] = 'teacher'
    with whole_image_inference(model.teacher if semi else model):
        counts = pseudo_label_pass(model, unlabeled_loader, args.tau, len(classes))
    summary = pseudo_label_summary(counts)
    stats = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        classes=classes,
        iou=iou,
        pseudo_labels=dict(
            model='teacher' if semi else 'model',
            tau=args.tau,
            num_images=len(unlabeled_loader.dataset),
            num_pixels=int(counts['gt'].sum()),
            kept_ratio=to_json_value(summary['kept_ratio']),
            accuracy_kept=to_json_value(summary['accuracy_kept']),
            accuracy_all=to_json_value(summary['accuracy_all']),
            class_fraction=dict(
                kept=per_class(summary['fraction_kept'], classes),
                argmax=per_class(summary['fraction_argmax'], classes),
                ground_truth=per_class(summary['fraction_gt'], classes)),
            kept_ratio_per_class=per_class(summary['kept_ratio_per_class'], classes)))

    out = args.out or osp.splitext(args.checkpoint)[0] + '_stats.json'
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(stats, f, indent=2)
    print(markdown(stats))
    print(f'\nwritten to {out}')
    return stats


if __name__ == '__main__':
    main()
