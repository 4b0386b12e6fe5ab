"""FashionMNISTScenes and the scene composer, on placeholder items (the real Fashion-MNIST is never needed here)."""
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

import mmext.seg  # noqa: F401  (registers the mmseg components)
from mmext.seg.datasets import fashion_mnist_scenes
from mmext.utils.idx import read_idx_split
from mmext.utils.scenes import SCENE_CLASSES, compose_scene, item_silhouette, write_placeholder_items

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]


@pytest.fixture(scope='module')
def items_root(tmp_path_factory):
    return write_placeholder_items(str(tmp_path_factory.mktemp('items')), {'train': 60, 'test': 40})


def build(data_root, items_root, split='val', num_samples=4, **kwargs):
    init_default_scope('mmseg')
    return DATASETS.build(dict(type='FashionMNISTScenes', data_root=str(data_root), items_root=items_root, split=split,
                               num_samples=num_samples, image_size=64, pipeline=PIPELINE, **kwargs))


def test_builds_mmseg_samples_and_reuses_the_files(tmp_path, items_root):
    dataset = build(tmp_path, items_root)
    assert len(dataset) == 4 and dataset.metainfo['classes'] == SCENE_CLASSES
    assert osp.isfile(tmp_path / 'img_dir' / 'val' / '00003.png')
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (3, 64, 64)
    labels = sample['data_samples'].gt_sem_seg.data
    assert labels.shape == (1, 64, 64) and int(labels.max()) <= 10
    again = build(tmp_path, items_root)
    np.testing.assert_array_equal(again[0]['inputs'].numpy(), sample['inputs'].numpy())
    with pytest.raises(ValueError, match='was generated with'):
        build(tmp_path, items_root, seed=1)


def test_missing_items_name_the_file_and_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match='tools/dataset_converters/fashion_mnist.py'):
        build(tmp_path / 'scenes', str(tmp_path / 'nowhere'))


@pytest.mark.parametrize('split, item_split, half', [('train', 'train', None), ('val', 'test', 0),
                                                     ('test', 'test', 1)])
def test_each_split_draws_items_from_its_own_pool(tmp_path, items_root, monkeypatch, split, item_split, half):
    pools = []

    def record(rng, images, labels, size):
        pools.append(images.copy())
        return compose_scene(rng, images, labels, size)

    monkeypatch.setattr(fashion_mnist_scenes, 'compose_scene', record)
    build(tmp_path, items_root, split=split, num_samples=2)
    images, _ = read_idx_split(items_root, item_split)
    expected = images if half is None else (images[:20] if half == 0 else images[20:])
    assert len(pools) == 2
    np.testing.assert_array_equal(pools[0], expected)


def test_silhouette_closes_gaps_fills_holes_and_stays_off_the_border():
    ring = np.zeros((28, 28), np.uint8)
    cv2.circle(ring, (14, 14), 8, 200, thickness=2)
    assert item_silhouette(ring)[14, 14]  # the hole of a ring is part of the item
    straps = np.zeros((28, 28), np.uint8)
    straps[10:20, 4:24:3] = 150  # 1-px straps 2 px apart: one region once closed
    assert item_silhouette(straps)[15, 4:23].all()
    edge = np.zeros((28, 28), np.uint8)
    edge[0:3, 5:10] = 255
    mask = item_silhouette(edge)
    assert mask[0:3, 5:10].all() and not mask[5:, :].any() and not mask[:, 12:].any()
    assert not item_silhouette(np.full((28, 28), 5, np.uint8)).any()  # below the threshold: no item


def test_scene_labels_are_visible_items_inside_their_silhouettes():
    items = np.zeros((2, 28, 28), np.uint8)
    items[0, 4:24, 4:24] = 200  # a square item of class 3
    items[1] = 3  # below the silhouette threshold: pasted, but no labelled pixel
    rng = np.random.default_rng(0)
    for _ in range(20):
        img, label = compose_scene(rng, items[:1], np.array([3]), size=96, num_items=(1, 1))
        assert img.shape == (96, 96, 3) and img.dtype == np.uint8
        assert set(np.unique(label)) == {0, 4}
        ys, xs = np.nonzero(label)
        assert (label[ys.min():ys.max() + 1, xs.min():xs.max() + 1] == 4).all()  # the (clipped) square, filled
        _, label = compose_scene(rng, items[1:], np.array([5]), size=96, num_items=(1, 1))
        assert not label.any()


def test_tint_is_independent_of_the_class(items_root):
    """Colour carries no class: per-class mean colours differ far less than colours within a class."""
    images, labels = read_idx_split(items_root, 'train')
    rng = np.random.default_rng(1)
    per_class = {c: [] for c in range(1, 11)}
    for _ in range(150):
        img, label = compose_scene(rng, images, labels, size=64)
        for c in np.unique(label[label > 0]):
            per_class[int(c)].append(img[label == c].reshape(-1, 3).mean(0))
    means = np.array([np.mean(v, 0) for v in per_class.values()])
    within = np.mean([np.std(v, 0) for v in per_class.values()], 0)
    assert (means.std(0) < 0.35 * within).all(), (means.std(0), within)


def test_items_of_different_classes_touch_in_most_scenes(items_root):
    images, labels = read_idx_split(items_root, 'train')
    rng = np.random.default_rng(2)
    touching = 0
    for _ in range(50):
        _, label = compose_scene(rng, images, labels, size=128)
        right = (label[:, 1:] != label[:, :-1]) & (label[:, 1:] > 0) & (label[:, :-1] > 0)
        down = (label[1:] != label[:-1]) & (label[1:] > 0) & (label[:-1] > 0)
        touching += bool(right.any() or down.any())
    assert touching >= 25
