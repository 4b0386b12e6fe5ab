"""How far colour alone goes on a segmentation set: per-pixel colour classifiers fitted on labelled images.

A benchmark whose classes can be told apart by the colour of single pixels cannot show what a segmentor (or a
colour-scrambling augmentation) does. This tool fits two per-pixel classifiers that see nothing but a pixel's colour
on the first ``--num-labelled`` images of the config's training set and scores them with mmseg's IoU on its
validation set:

- ``nearest class mean``: each pixel gets the class whose mean BGR colour is nearest;
- ``colour histogram``: each pixel gets the most frequent class of its colour bin (``--bins`` per channel), the best
  any per-pixel colour rule can do on the labelled images' distribution (up to the binning).

    python tools/analysis_tools/colour_only_baseline.py configs/sdn/fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py
    python tools/analysis_tools/colour_only_baseline.py \
        configs/sdn/fcn_r18-w16-d8_1xb8-4k_fashion-mnist-scenes-128x128.py --num-labelled 50

The datasets are built from the config (generated on first use where they are), with ``--cfg-options`` applied.
"""
import argparse
from typing import Dict, List, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='an mmseg config whose train and val datasets are read')
    parser.add_argument('--num-labelled', type=int, default=50, help='training images the classifiers are fitted on')
    parser.add_argument('--bins', type=int, default=16, help='colour-histogram bins per channel')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='overrides, e.g. a data_root')
    return parser.parse_args(argv)


def load_pairs(dataset_cfg: dict, limit: int = None) -> List[Tuple[np.ndarray, np.ndarray]]:
    """``(BGR image, label map)`` of the dataset's first ``limit`` samples, read from its files (no pipeline)."""
    from mmseg.registry import DATASETS
    dataset_cfg = dict(dataset_cfg, pipeline=[])
    dataset = DATASETS.build(dataset_cfg)
    infos = dataset.load_data_list()[:limit]
    return [(cv2.imread(info['img_path'], cv2.IMREAD_COLOR), cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED))
            for info in infos]


def fit_nearest_class_mean(pairs, num_classes: int) -> np.ndarray:
    """``(num_classes, 3)`` mean colours (classes never seen get +inf, so they are never predicted)."""
    means = np.full((num_classes, 3), np.inf)
    pixels = np.concatenate([img.reshape(-1, 3) for img, _ in pairs]).astype(np.float64)
    labels = np.concatenate([label.reshape(-1) for _, label in pairs])
    for c in np.unique(labels[labels < num_classes]):
        means[c] = pixels[labels == c].mean(0)
    return means


def predict_nearest_class_mean(img: np.ndarray, means: np.ndarray) -> np.ndarray:
    distances = ((img.reshape(-1, 1, 3).astype(np.float64) - means[None]) ** 2).sum(-1)
    return np.nan_to_num(distances, nan=np.inf).argmin(1).reshape(img.shape[:2])


def colour_bins(img: np.ndarray, bins: int) -> np.ndarray:
    quantised = (img.astype(np.int64) * bins) // 256
    return (quantised[..., 0] * bins + quantised[..., 1]) * bins + quantised[..., 2]


def fit_colour_histogram(pairs, num_classes: int, bins: int) -> np.ndarray:
    """Class of each colour bin (the labelled images' majority; bins never seen get the overall majority)."""
    counts = np.zeros((bins**3, num_classes), np.int64)
    for img, label in pairs:
        valid = label < num_classes
        np.add.at(counts, (colour_bins(img, bins)[valid], label[valid].astype(np.int64)), 1)
    table = counts.argmax(1)
    table[counts.sum(1) == 0] = counts.sum(0).argmax()
    return table


def miou(predictions: List[np.ndarray], pairs, num_classes: int, ignore_index: int = 255) -> Dict[str, float]:
    """mIoU and aAcc (%) with mmseg's IoUMetric arithmetic."""
    from mmseg.evaluation.metrics import IoUMetric
    metric = IoUMetric(iou_metrics=['mIoU'])
    areas = [metric.intersect_and_union(torch.from_numpy(pred), torch.from_numpy(label.astype(np.int64)),
                                        num_classes, ignore_index) for pred, (_, label) in zip(predictions, pairs)]
    totals = [sum(a[i] for a in areas) for i in range(4)]
    result = IoUMetric.total_area_to_metrics(*totals, metrics=['mIoU'])
    return dict(mIoU=100 * float(np.nanmean(result['IoU'])), aAcc=100 * float(result['aAcc']))  # numpy arrays


def main(argv=None) -> Dict[str, Dict[str, float]]:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    train_cfg = cfg.train_dataloader.dataset
    train_cfg = train_cfg.datasets[0] if 'datasets' in train_cfg else train_cfg  # a semi-supervised labelled part
    labelled = load_pairs(train_cfg, args.num_labelled)
    val = load_pairs(cfg.val_dataloader.dataset)
    from mmseg.registry import DATASETS
    classes = DATASETS.get(cfg.val_dataloader.dataset.type).METAINFO['classes']
    num_classes = len(classes)
    means = fit_nearest_class_mean(labelled, num_classes)
    table = fit_colour_histogram(labelled, num_classes, args.bins)
    results = {
        'nearest class mean': miou([predict_nearest_class_mean(img, means) for img, _ in val], val, num_classes),
        f'colour histogram ({args.bins}^3 bins)': miou([table[colour_bins(img, args.bins)] for img, _ in val], val,
                                                       num_classes),
    }
    print(f'per-pixel colour-only classifiers fitted on {len(labelled)} labelled training images, scored on '
          f'{len(val)} validation images ({num_classes} classes)')
    print('| classifier | mIoU | aAcc |\n| :--- | :-: | :-: |')
    for name, scores in results.items():
        print(f'| {name} | {scores["mIoU"]:.2f} | {scores["aAcc"]:.2f} |')
    return results


if __name__ == '__main__':
    main()
