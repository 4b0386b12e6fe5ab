"""Segmentation scenes composited from real Fashion-MNIST items, generated on first use (:mod:`mmext.utils.scenes`)."""
import functools
import os.path as osp
from typing import Optional

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from mmext.utils.idx import read_idx_split
from mmext.utils.scenes import SCENE_CLASSES, compose_scene
from mmext.utils.synthetic import ensure_generated, split_rng, split_size, write_images

DEFAULT_NUM_SAMPLES = {'train': 1000, 'val': 250, 'test': 250}
# Train scenes use Fashion-MNIST's train items only; validation and test scenes each use their own half of its test
# items, so no photo is shared between training and evaluation, or between val and test.
ITEM_SOURCES = {'train': ('train', None), 'val': ('test', 0), 'test': ('test', 1)}


@DATASETS.register_module()
class FashionMNISTScenes(BaseSegDataset):
    """Scenes of several real Fashion-MNIST items on a textured background; a composited proxy, not natural images.

    The label of a pixel is the class of the item visible there (10 classes + background). Item tints are drawn
    independently of the class from one palette shared with the backgrounds, so colour does not identify a class and
    colour augmentations keep the labels; items of different classes touch and overlap; each item keeps its photo's
    internal texture. Written in mmseg's layout (``img_dir/{split}/*.png``, ``ann_dir/{split}/*.png``) under
    ``data_root`` on first use, deterministically from ``seed`` and the items.

    Args:
        data_root (str): folder that holds (or will hold) ``img_dir`` and ``ann_dir``.
        split (str): ``'train'`` (items of Fashion-MNIST's train split), ``'val'`` or ``'test'`` (disjoint halves
            of its test split).
        items_root (str): raw Fashion-MNIST IDX files (``tools/dataset_converters/fashion_mnist.py`` provides
            them); read only when the scenes are generated. Default: ``'data/fashion_mnist'``.
        num_samples (int, optional): scenes in this split. Defaults to 1000 for train and 250 otherwise.
        image_size (int): canvas side. Default: 128.
        seed (int): generation seed; a folder generated with other parameters raises an error. Default: 0.
        **kwargs: the rest of :class:`mmseg.datasets.BaseSegDataset` (``pipeline``, ``ann_file``, ...).
    """
    METAINFO = dict(
        classes=SCENE_CLASSES,
        palette=[[0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
                 [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212]])

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 items_root: str = 'data/fashion_mnist',
                 num_samples: Optional[int] = None,
                 image_size: int = 128,
                 seed: int = 0,
                 **kwargs) -> None:
        num_samples = split_size(split, num_samples, DEFAULT_NUM_SAMPLES)
        img_dir, ann_dir = f'img_dir/{split}', f'ann_dir/{split}'
        params = dict(kind='fashion_mnist_scenes', split=split, num_samples=num_samples, image_size=image_size,
                      seed=seed)
        names = [f'{i:05d}.png' for i in range(num_samples)]

        @functools.cache
        def scenes():
            item_split, half = ITEM_SOURCES[split]
            images, labels = read_idx_split(items_root, item_split)
            if half is not None:
                window = slice(0, len(images) // 2) if half == 0 else slice(len(images) // 2, None)
                images, labels = images[window], labels[window]
            return [compose_scene(split_rng(seed, split, i), images, labels, image_size) for i in range(num_samples)]

        ensure_generated(
            osp.join(data_root, ann_dir), params, lambda out: write_images(out, names, [s[1] for s in scenes()]))
        ensure_generated(
            osp.join(data_root, img_dir), params, lambda out: write_images(out, names, [s[0] for s in scenes()]))
        kwargs.setdefault('data_prefix', dict(img_path=img_dir, seg_map_path=ann_dir))
        super().__init__(
            data_root=data_root, img_suffix='.png', seg_map_suffix='.png', reduce_zero_label=False, **kwargs)
