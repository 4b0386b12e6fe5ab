"""tools/dataset_converters/make_semi_splits.py: drawn partitions and conversion of the published lists."""
import os
import os.path as osp

import pytest

from tools.dataset_converters.make_semi_splits import main, read_list


def write(path, lines, final_newline=True):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + ('\n' if final_newline else ''))


def test_voc_classic_draws_labels_from_the_fine_set(tmp_path):
    root = str(tmp_path / 'VOC2012')
    fine = [f'2007_{i:06d}' for i in range(40)]
    everything = fine + [f'2011_{i:06d}' for i in range(60)]
    write(osp.join(root, 'ImageSets/Segmentation/train.txt'), fine)
    write(osp.join(root, 'ImageSets/Segmentation/aug.txt'), everything)
    main(['make', 'voc-classic', '--data-root', root, '--sizes', '5', '20', '--seed', '3'])
    for n in (5, 20):
        labeled = read_list(osp.join(root, 'splits/voc_classic', str(n), 'labeled.txt'))
        unlabeled = read_list(osp.join(root, 'splits/voc_classic', str(n), 'unlabeled.txt'))
        assert len(labeled) == n and set(labeled) <= set(fine)
        assert sorted(labeled + unlabeled) == sorted(everything) and not set(labeled) & set(unlabeled)
    first = read_list(osp.join(root, 'splits/voc_classic/5/labeled.txt'))
    main(['make', 'voc-classic', '--data-root', root, '--sizes', '5', '--seed', '3', '--out-dir', str(tmp_path / 'b')])
    assert read_list(str(tmp_path / 'b/5/labeled.txt')) == first  # fixed seed, same draw
    main(['make', 'voc-classic', '--data-root', root, '--sizes', '5', '--seed', '4', '--out-dir', str(tmp_path / 'c')])
    assert read_list(str(tmp_path / 'c/5/labeled.txt')) != first
    with pytest.raises(ValueError, match='pool of 40'):
        main(['make', 'voc-classic', '--data-root', root, '--sizes', '41'])


def test_cityscapes_list_comes_from_the_image_folder(tmp_path):
    root = tmp_path / 'cityscapes'
    for city, n in (('aachen', 6), ('jena', 4)):
        os.makedirs(root / 'leftImg8bit' / 'train' / city)
        for i in range(n):
            (root / 'leftImg8bit' / 'train' / city / f'{city}_{i:06d}_000019_leftImg8bit.png').touch()
    main(['make', 'cityscapes', '--data-root', str(root), '--sizes', '3'])
    labeled = read_list(str(root / 'splits/cityscapes/3/labeled.txt'))
    unlabeled = read_list(str(root / 'splits/cityscapes/3/unlabeled.txt'))
    assert len(labeled) == 3 and len(unlabeled) == 7
    assert all(name.count('/') == 1 and name.endswith('_000019') for name in labeled + unlabeled)


def test_convert_published_lists(tmp_path):
    official = tmp_path / 'splitsall'
    write(str(official / 'cityscapes/186/labeled.txt'),
          ['leftImg8bit/train/jena/jena_000078_000019_leftImg8bit.png'], final_newline=False)
    write(str(official / 'cityscapes/186/unlabeled.txt'),
          ['leftImg8bit/train/ulm/ulm_000001_000019_leftImg8bit.png', 'leftImg8bit/train/jena/jena_000001_000019_'
           'leftImg8bit.png'])
    write(str(official / 'pascal/92/labeled.txt'), ['2007_000733', '2010_004493'], final_newline=False)
    write(str(official / 'pascal/92/unlabeled.txt'), ['2009_000898'])
    main(['convert', 'cityscapes', str(official / 'cityscapes'), str(tmp_path / 'out_city')])
    assert read_list(str(tmp_path / 'out_city/186/labeled.txt')) == ['jena/jena_000078_000019']
    assert read_list(str(tmp_path / 'out_city/186/unlabeled.txt')) == ['ulm/ulm_000001_000019',
                                                                       'jena/jena_000001_000019']
    main(['convert', 'voc', str(official / 'pascal'), str(tmp_path / 'out_voc')])
    assert read_list(str(tmp_path / 'out_voc/92/labeled.txt')) == ['2007_000733', '2010_004493']
    write(str(official / 'pascal/92/unlabeled.txt'), ['2007_000733'])
    with pytest.raises(ValueError, match='both labelled and unlabelled'):
        main(['convert', 'voc', str(official / 'pascal'), str(tmp_path / 'bad')])
