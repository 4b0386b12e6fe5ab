"""Embedded default classification data: textured shapes generated on first use (see :mod:`mmext.utils.synthetic`)."""
import os.path as osp
from typing import List, Optional

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from mmext.utils.synthetic import ensure_generated, make_classification_sample, split_size, write_images

DEFAULT_NUM_SAMPLES = {'train': 1000, 'val': 200, 'test': 200}


@DATASETS.register_module()
class SyntheticShapesClassification(BaseDataset):
    """``num_classes`` classes of textured shapes (shape kind × colour family), balanced, one PNG per sample.

    Images are written to ``data_root/{split}/{index:05d}.png`` on first use, deterministically from ``seed``; the
    label of sample ``i`` is ``i % num_classes``.

    Args:
        data_root (str): folder that holds (or will hold) the split folders.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        num_samples (int, optional): images in this split. Defaults to 1000 for train and 200 otherwise.
        num_classes (int): between 2 and 20. Default: 10.
        image_size (int): side of the square images. Default: 32.
        seed (int): generation seed; a folder generated with other parameters raises an error. Default: 0.
        **kwargs: the rest of :class:`mmpretrain.datasets.BaseDataset` (``pipeline``, ``test_mode``, ...).
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 num_samples: Optional[int] = None,
                 num_classes: int = 10,
                 image_size: int = 32,
                 seed: int = 0,
                 **kwargs) -> None:
        self.split = split
        # Every class needs at least one sample.
        self.num_samples = split_size(split, num_samples, DEFAULT_NUM_SAMPLES, minimum=num_classes)
        self.num_classes = num_classes
        self.image_size = image_size
        self.seed = seed
        kwargs.setdefault('metainfo', dict(classes=tuple(f'class_{i}' for i in range(num_classes))))
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        out_dir = osp.join(self.data_root, self.split)
        names = [f'{i:05d}.png' for i in range(self.num_samples)]
        params = dict(kind='classification', split=self.split, num_samples=self.num_samples,
                      num_classes=self.num_classes, image_size=self.image_size, seed=self.seed)

        def write(folder: str) -> None:
            images = [
                make_classification_sample(self.seed, self.split, i, self.num_classes, self.image_size)[0]
                for i in range(self.num_samples)
            ]
            write_images(folder, names, images)

        ensure_generated(out_dir, params, write)
        return [dict(img_path=osp.join(out_dir, name), gt_label=i % self.num_classes) for i, name in enumerate(names)]
