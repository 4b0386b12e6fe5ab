import json
import os
import threading

import numpy as np
import pytest

from mmext.utils.synthetic import (SHAPE_CLASSES, ensure_generated, make_classification_sample,
                                   make_segmentation_sample, split_size)


def test_segmentation_sample_is_deterministic_and_labelled():
    img, label = make_segmentation_sample(seed=3, split='train', index=7, size=48)
    img2, label2 = make_segmentation_sample(seed=3, split='train', index=7, size=48)
    assert img.shape == (48, 48, 3) and img.dtype == np.uint8 and label.shape == (48, 48)
    np.testing.assert_array_equal(img, img2)
    np.testing.assert_array_equal(label, label2)
    assert set(np.unique(label)) <= set(range(len(SHAPE_CLASSES)))
    other_img, _ = make_segmentation_sample(seed=3, split='val', index=7, size=48)
    assert not np.array_equal(img, other_img)


def test_every_class_appears_in_a_small_split():
    seen = set()
    for i in range(40):
        seen |= set(np.unique(make_segmentation_sample(0, 'train', i)[1]).tolist())
    assert seen == set(range(len(SHAPE_CLASSES)))


def test_classification_labels_cycle_and_classes_differ():
    labels = [make_classification_sample(0, 'train', i, num_classes=10)[1] for i in range(20)]
    assert labels == [i % 10 for i in range(20)]
    with pytest.raises(ValueError, match='num_classes'):
        make_classification_sample(0, 'train', 0, num_classes=21)


def test_bad_split_names_the_valid_ones():
    with pytest.raises(ValueError, match="'test', 'train', 'val'"):
        make_segmentation_sample(0, 'training', 0)


def test_ensure_generated_once_under_concurrency(tmp_path):
    calls = []

    def write(folder):
        calls.append(folder)
        with open(os.path.join(folder, 'a.txt'), 'w') as f:
            f.write('x')

    out = str(tmp_path / 'out')
    threads = [threading.Thread(target=ensure_generated, args=(out, {'n': 1}, write)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(os.listdir(out)) == ['a.txt', 'synthetic.json']
    assert json.load(open(os.path.join(out, 'synthetic.json'))) == {'n': 1}
    assert [p for p in os.listdir(tmp_path) if p.startswith('.tmp-')] == []


def test_ensure_generated_refuses_other_parameters(tmp_path):
    out = str(tmp_path / 'out')
    ensure_generated(out, {'n': 1}, lambda folder: None)
    with pytest.raises(ValueError, match='delete the folder'):
        ensure_generated(out, {'n': 2}, lambda folder: None)
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    with pytest.raises(FileExistsError, match='not made by mmext'):
        ensure_generated(str(foreign), {'n': 1}, lambda folder: None)


def test_split_size_defaults_and_minimum():
    defaults = {'train': 10, 'val': 2, 'test': 2}
    assert split_size('train', None, defaults) == 10
    assert split_size('val', 7, defaults) == 7
    with pytest.raises(ValueError, match='at least 5'):
        split_size('val', None, defaults, minimum=5)
    with pytest.raises(ValueError, match="'test', 'train', 'val'"):
        split_size('training', 3, defaults)
