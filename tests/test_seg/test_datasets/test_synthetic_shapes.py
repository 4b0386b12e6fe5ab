import os.path as osp

import numpy as np
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

import mmext.seg  # noqa: F401  (registers the mmseg components)


def test_builds_from_config_and_loads_mmseg_samples(tmp_path):
    init_default_scope('mmseg')
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
    dataset = DATASETS.build(
        dict(type='SyntheticShapesDataset', data_root=str(tmp_path), split='val', num_samples=6, image_size=32,
             pipeline=pipeline))
    assert len(dataset) == 6
    assert osp.isfile(osp.join(str(tmp_path), 'img_dir', 'val', '00000.png'))
    assert osp.isfile(osp.join(str(tmp_path), 'ann_dir', 'val', '00005.png'))
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (3, 32, 32)
    labels = sample['data_samples'].gt_sem_seg.data
    assert labels.shape == (1, 32, 32)
    assert int(labels.max()) < len(dataset.metainfo['classes'])
    # A second dataset over the same folder reuses the files.
    again = DATASETS.build(
        dict(type='SyntheticShapesDataset', data_root=str(tmp_path), split='val', num_samples=6, image_size=32,
             pipeline=pipeline))
    np.testing.assert_array_equal(again[0]['inputs'].numpy(), sample['inputs'].numpy())
