"""Boundary IoU and boundary F-score for semantic segmentation.

Boundary IoU follows Cheng et al., "Boundary IoU: Improving Object-Centric Image Segmentation Evaluation", CVPR 2021:
for a binary mask M, its boundary band ``M_d`` is the set of mask pixels within distance ``d`` of the mask's contour,
and ``BIoU(G, P) = |G_d ∩ P_d| / |G_d ∪ P_d|``. The original API (bowenc0221/boundary-iou-api) measures instance
masks and erodes with a 3×3 kernel ``d`` times, i.e. uses the chessboard distance; this module does the same per
semantic class. The boundary F-score is the contour-matching F-measure (Csurka et al., BMVC 2013; Perazzi et al.,
DAVIS 2016): a one-pixel contour pixel counts as matched if the other map has a contour pixel within ``d``.

Adaptations for semantic segmentation (design choices of mmext, not of the paper):

- Statistics are accumulated per class over the whole dataset (like mmseg's ``IoUMetric``) and then averaged over
  the classes that occur, so a class's score is not dominated by images where it covers a few pixels.
- Pixels labelled ``ignore_index`` are removed from both masks before the bands are computed. Both maps therefore get
  the same contour along an ignored region, and a prediction is never rewarded or penalised there.
- The image frame is not a contour by default (``frame_is_boundary=False``): stuff classes such as sky or road touch
  the frame in most images and would otherwise fill the band with pixels that carry no boundary information.
  ``frame_is_boundary=True`` reproduces the zero-padded erosion of the original API.

Shape shorthand: H, W = label map height and width; K = number of classes.
"""
import math
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

# Columns of the per-image statistics array returned by ``boundary_statistics``.
_BAND_INTERSECT, _BAND_UNION, _PRED_MATCHED, _PRED_CONTOUR, _GT_MATCHED, _GT_CONTOUR = range(6)
_NUM_STATS = 6
_ALLOWED_METRICS = ('mBIoU', 'mBFscore')


def resolve_boundary_width(height: int, width: int, width_px: Optional[int] = None,
                           width_ratio: Optional[float] = None) -> int:
    """Return the boundary width ``d`` in pixels for an image of the given size.

    Args:
        height (int): Image height H.
        width (int): Image width W.
        width_px (int, optional): Width in pixels. Exactly one of ``width_px`` and ``width_ratio`` must be set.
        width_ratio (float, optional): Width as a fraction of the image diagonal, as in Cheng et al. (0.02 = 2%).

    Returns:
        int: ``width_px``, or ``round(width_ratio * sqrt(H² + W²))`` clipped to at least 1.
    """
    if (width_px is None) == (width_ratio is None):
        raise ValueError('Set exactly one of width_px (pixels) and width_ratio (fraction of the image diagonal); '
                         f'got width_px={width_px}, width_ratio={width_ratio}.')
    if width_px is not None:
        if int(width_px) != width_px or width_px < 1:
            raise ValueError(f'width_px must be a positive integer, got {width_px}.')
        return int(width_px)
    if not 0 < width_ratio < 1:
        raise ValueError(f'width_ratio must lie in (0, 1) (e.g. 0.02 for 2% of the diagonal), got {width_ratio}.')
    return max(1, int(round(width_ratio * math.hypot(height, width))))


def _distance_to_outside(mask: np.ndarray, frame_is_boundary: bool) -> np.ndarray:
    """Chessboard distance of every pixel to the nearest pixel outside ``mask``.

    Args:
        mask (np.ndarray): Boolean mask, shape (H, W).
        frame_is_boundary (bool): Treat the pixels beyond the image frame as outside the mask.

    Returns:
        np.ndarray: float32 distances, shape (H, W); 0 outside the mask, 1 on the mask's one-pixel contour.
    """
    src = mask.astype(np.uint8)
    if frame_is_boundary:
        src = cv2.copyMakeBorder(src, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    # DIST_C with a 3x3 mask is the exact chessboard distance, matching d iterations of a 3x3 erosion.
    dist = cv2.distanceTransform(src, cv2.DIST_C, 3)
    return dist[1:-1, 1:-1] if frame_is_boundary else dist


def _within(contour: np.ndarray, dist: int) -> np.ndarray:
    """Pixels within chessboard distance ``dist`` of a contour, shape (H, W), bool."""
    if not contour.any():
        return np.zeros_like(contour)
    return cv2.distanceTransform((~contour).astype(np.uint8), cv2.DIST_C, 3) <= dist


def boundary_statistics(pred: np.ndarray, label: np.ndarray, num_classes: int, ignore_index: int, width: int,
                        frame_is_boundary: bool = False) -> np.ndarray:
    """Per-class pixel counts of one image for Boundary IoU and boundary F-score.

    Args:
        pred (np.ndarray): Predicted class indices, shape (H, W).
        label (np.ndarray): Ground-truth class indices, shape (H, W); ``ignore_index`` marks unlabelled pixels.
        num_classes (int): K. Indices outside [0, K) other than ``ignore_index`` are treated as no class.
        ignore_index (int): Label value excluded from evaluation.
        width (int): Boundary width ``d`` in pixels (band width for BIoU, match tolerance for the F-score).
        frame_is_boundary (bool): Whether the image frame counts as a contour.

    Returns:
        np.ndarray: int64 array of shape (K, 6) with columns band intersection, band union, matched predicted
        contour pixels, predicted contour pixels, matched ground-truth contour pixels, ground-truth contour pixels.
    """
    valid = label != ignore_index
    stats = np.zeros((num_classes, _NUM_STATS), dtype=np.int64)
    present = np.union1d(np.unique(pred[valid]), np.unique(label[valid]))
    for cls in present[(present >= 0) & (present < num_classes)]:
        gt_dist = _distance_to_outside((label == cls) & valid, frame_is_boundary)
        pred_dist = _distance_to_outside((pred == cls) & valid, frame_is_boundary)
        gt_band = (gt_dist > 0) & (gt_dist <= width)
        pred_band = (pred_dist > 0) & (pred_dist <= width)
        gt_contour = gt_dist == 1
        pred_contour = pred_dist == 1
        stats[cls] = (
            np.count_nonzero(gt_band & pred_band),
            np.count_nonzero(gt_band | pred_band),
            np.count_nonzero(pred_contour & _within(gt_contour, width)),
            np.count_nonzero(pred_contour),
            np.count_nonzero(gt_contour & _within(pred_contour, width)),
            np.count_nonzero(gt_contour),
        )
    return stats


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Elementwise num / den as float64, NaN where den == 0."""
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def statistics_to_scores(stats: np.ndarray) -> Dict[str, np.ndarray]:
    """Per-class scores from accumulated statistics.

    Args:
        stats (np.ndarray): Summed output of :func:`boundary_statistics`, shape (K, 6).

    Returns:
        dict[str, np.ndarray]: ``BIoU``, ``BFscore``, ``BPrecision``, ``BRecall``, each shape (K,), in [0, 1].
        A class with no boundary pixel in either map is NaN; a class with contours in only one map has F = 0.
    """
    precision = _ratio(stats[:, _PRED_MATCHED], stats[:, _PRED_CONTOUR])
    recall = _ratio(stats[:, _GT_MATCHED], stats[:, _GT_CONTOUR])
    has_contour = (stats[:, _PRED_CONTOUR] + stats[:, _GT_CONTOUR]) > 0
    p, r = np.nan_to_num(precision), np.nan_to_num(recall)
    fscore = np.where(has_contour, _ratio(2 * p * r, p + r), np.nan)
    fscore[has_contour & (p + r == 0)] = 0.0
    return OrderedDict(
        BIoU=_ratio(stats[:, _BAND_INTERSECT], stats[:, _BAND_UNION]),
        BFscore=fscore,
        BPrecision=precision,
        BRecall=recall)


@METRICS.register_module()
class BoundaryMetric(BaseMetric):
    """Boundary IoU and boundary F-score, per class and averaged over classes.

    Use it next to ``IoUMetric``::

        val_evaluator = [dict(type='IoUMetric', iou_metrics=['mIoU']),
                         dict(type='BoundaryMetric', width_ratio=0.02)]

    Args:
        width_px (int, optional): Boundary width ``d`` in pixels. Mutually exclusive with ``width_ratio``.
        width_ratio (float, optional): Boundary width as a fraction of each image's diagonal; Cheng et al. use 0.02.
            Used when ``width_px`` is None. Defaults to 0.02.
        metrics (Sequence[str]): Which means to report, from ``'mBIoU'`` and ``'mBFscore'``. Both by default.
        ignore_index (int): Label value excluded from evaluation. Defaults to 255.
        frame_is_boundary (bool): Count the image frame as a contour (the original instance-mask API does).
            Defaults to False.
        collect_device (str): Device for collecting results across ranks, 'cpu' or 'gpu'.
        prefix (str, optional): Prefix for the metric names.

    Returns of ``evaluate``: ``{'mBIoU': float, 'mBFscore': float}`` in percent, rounded to 2 decimals, the mean
    over classes with a defined score; per-class scores are printed as a table.
    """

    def __init__(self,
                 width_px: Optional[int] = None,
                 width_ratio: Optional[float] = 0.02,
                 metrics: Sequence[str] = _ALLOWED_METRICS,
                 ignore_index: int = 255,
                 frame_is_boundary: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if width_px is not None:
            width_ratio = None
        resolve_boundary_width(1, 1, width_px, width_ratio)  # validates the arguments early
        unknown = set(metrics) - set(_ALLOWED_METRICS)
        if unknown or not metrics:
            raise ValueError(f'metrics must be a non-empty subset of {_ALLOWED_METRICS}, got {list(metrics)}.')
        self.width_px = width_px
        self.width_ratio = width_ratio
        self.metrics = list(metrics)
        self.ignore_index = ignore_index
        self.frame_is_boundary = frame_is_boundary

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Accumulate the per-class boundary statistics of a batch.

        Args:
            data_batch (dict): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): Model outputs; each has ``pred_sem_seg.data`` and ``gt_sem_seg.data``,
                shape (1, H, W).
        """
        num_classes = len(self.dataset_meta['classes'])
        for data_sample in data_samples:
            pred = data_sample['pred_sem_seg']['data'].squeeze().cpu().numpy()
            label = data_sample['gt_sem_seg']['data'].squeeze().cpu().numpy()
            width = resolve_boundary_width(*label.shape, self.width_px, self.width_ratio)
            self.results.append(
                boundary_statistics(pred, label, num_classes, self.ignore_index, width, self.frame_is_boundary))

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        """Reduce the accumulated statistics to per-class and mean scores.

        Args:
            results (list[np.ndarray]): Per-image statistics, each shape (K, 6).

        Returns:
            dict[str, float]: The requested means in percent.
        """
        scores = statistics_to_scores(np.sum(results, axis=0))
        table = PrettyTable()
        table.add_column('Class', list(self.dataset_meta['classes']))
        for name, values in scores.items():
            table.add_column(name, np.round(values * 100, 2).tolist())
        print_log('per class boundary results:\n' + table.get_string(), logger=MMLogger.get_current_instance())
        return {name: float(np.round(np.nanmean(scores[name[1:]]) * 100, 2)) for name in self.metrics}
