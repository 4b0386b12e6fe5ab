"""Embedded default segmentation data: textured shapes generated on first use (see :mod:`mmext.utils.synthetic`)."""
import functools
import os.path as osp
from typing import Optional

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from mmext.utils.synthetic import SHAPE_CLASSES, ensure_generated, make_segmentation_sample, split_size, write_images

DEFAULT_NUM_SAMPLES = {'train': 400, 'val': 100, 'test': 100}


@DATASETS.register_module()
class SyntheticShapesDataset(BaseSegDataset):
    """Textured shapes (discs, rectangles, triangles, thin rings and lines) on a two-texture background.

    Written in mmseg's layout (``img_dir/{split}/*.png``, ``ann_dir/{split}/*.png``) under ``data_root`` on first use,
    deterministically from ``seed``, so any config can point ``data_root`` at an empty folder and train offline.

    Args:
        data_root (str): folder that holds (or will hold) ``img_dir`` and ``ann_dir``.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        num_samples (int, optional): images in this split. Defaults to 400 for train and 100 otherwise.
        image_size (int): side of the square images. Default: 64.
        seed (int): generation seed; a folder generated with other parameters raises an error. Default: 0.
        **kwargs: the rest of :class:`mmseg.datasets.BaseSegDataset` (``pipeline``, ``test_mode``, ...).
    """
    METAINFO = dict(
        classes=SHAPE_CLASSES,
        palette=[[0, 0, 0], [220, 20, 60], [0, 130, 200], [255, 200, 0], [60, 180, 75], [145, 30, 180]])

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 num_samples: Optional[int] = None,
                 image_size: int = 64,
                 seed: int = 0,
                 **kwargs) -> None:
        num_samples = split_size(split, num_samples, DEFAULT_NUM_SAMPLES)
        img_dir, ann_dir = f'img_dir/{split}', f'ann_dir/{split}'
        params = dict(kind='segmentation', split=split, num_samples=num_samples, image_size=image_size, seed=seed)
        names = [f'{i:05d}.png' for i in range(num_samples)]
        samples = functools.cache(
            lambda: [make_segmentation_sample(seed, split, i, image_size) for i in range(num_samples)])
        ensure_generated(
            osp.join(data_root, ann_dir), params, lambda out: write_images(out, names, [s[1] for s in samples()]))
        ensure_generated(
            osp.join(data_root, img_dir), params, lambda out: write_images(out, names, [s[0] for s in samples()]))
        kwargs.setdefault('data_prefix', dict(img_path=img_dir, seg_map_path=ann_dir))
        super().__init__(
            data_root=data_root, img_suffix='.png', seg_map_suffix='.png', reduce_zero_label=False, **kwargs)
