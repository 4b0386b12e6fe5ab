from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

import mmext.pretrain  # noqa: F401  (registers the mmpretrain components)


def test_builds_from_config_with_balanced_labels(tmp_path):
    init_default_scope('mmpretrain')
    dataset = DATASETS.build(
        dict(type='SyntheticShapesClassification', data_root=str(tmp_path), split='train', num_samples=20,
             num_classes=5, pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))
    assert len(dataset) == 20
    assert dataset.CLASSES == tuple(f'class_{i}' for i in range(5))
    labels = [dataset.get_data_info(i)['gt_label'] for i in range(20)]
    assert sorted(labels) == sorted(list(range(5)) * 4)
    sample = dataset[3]
    assert tuple(sample['inputs'].shape) == (3, 32, 32)
    assert int(sample['data_samples'].gt_label) == 3
