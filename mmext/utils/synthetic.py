"""Deterministic synthetic images for the embedded default datasets (no downloads).

Shapes are drawn with OpenCV into an image and a label map at the same time, so masks are exact. Regions are filled
with procedural textures (stripes, checkers, noise) and the background is split into two textures along a random
line: a texture edge that is *not* a semantic edge, which is what boundary-aware models such as SDN must learn to
ignore. Thin classes (rings, lines) make boundary metrics meaningful.

Everything is a pure function of ``(seed, split, index)``, so every process and every machine draws the same data.
"""
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Callable, Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

SHAPE_CLASSES = ('background', 'disc', 'rectangle', 'triangle', 'ring', 'line')
# Each foreground class is filled around its own colour (BGR), jittered per sample, so the task is learnable in a few
# hundred CPU iterations; the background is greyish, in two textures.
SHAPE_COLORS = np.array([[128, 128, 128], [60, 60, 200], [200, 90, 40], [40, 190, 220], [70, 180, 70],
                         [190, 60, 170]], dtype=np.float64)
SPLIT_IDS = {'train': 0, 'val': 1, 'test': 2}


def _check_split(split: str) -> None:
    if split not in SPLIT_IDS:
        raise ValueError(f'split must be one of {sorted(SPLIT_IDS)}, got {split!r}')


def split_size(split: str, num_samples: Optional[int], defaults: Dict[str, int], minimum: int = 1) -> int:
    """Validates ``split`` and returns ``num_samples``, or the split's default when it is None.

    Raises:
        ValueError: for an unknown split, or fewer than ``minimum`` samples.
    """
    _check_split(split)
    size = defaults[split] if num_samples is None else num_samples
    if size < minimum:
        raise ValueError(f'num_samples ({size}) must be at least {minimum} for this dataset')
    return size


def split_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The random generator of one sample: independent of how many samples or processes there are."""
    _check_split(split)
    return np.random.default_rng([seed, SPLIT_IDS[split], index])


def texture(rng: np.random.Generator, size: int, base_color: np.ndarray) -> np.ndarray:
    """A ``(size, size, 3)`` uint8 texture around ``base_color``: stripes, checkers or blotchy noise."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    kind = rng.integers(3)
    if kind == 0:
        angle, period = rng.uniform(0, np.pi), rng.uniform(3, 8)
        pattern = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period)
    elif kind == 1:
        cell = int(rng.integers(2, 6))
        pattern = ((xx // cell + yy // cell) % 2) * 2.0 - 1.0
    else:
        coarse = rng.standard_normal((max(size // 8, 2), ) * 2).astype(np.float32)
        pattern = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    amplitude = rng.uniform(15, 45)
    noise = rng.normal(0, 6, (size, size, 1))
    img = base_color[None, None, :] + amplitude * pattern[..., None] + noise
    return np.clip(img, 0, 255).astype(np.uint8)


def two_texture_background(rng: np.random.Generator, size: int,
                           draw_color: Callable[[np.random.Generator], np.ndarray]) -> np.ndarray:
    """Two textures meeting along a random line: an edge in the image with no edge in the labels.

    Each texture's base colour is ``draw_color(rng)``. Returns a ``(size, size, 3)`` uint8 image.
    """
    img = texture(rng, size, draw_color(rng))
    other = texture(rng, size, draw_color(rng))
    yy, xx = np.mgrid[0:size, 0:size]
    angle, offset = rng.uniform(0, np.pi), rng.uniform(-size / 4, size / 4)
    half = (xx - size / 2) * np.cos(angle) + (yy - size / 2) * np.sin(angle) > offset
    img[half] = other[half]
    return img


def _background_color(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(50, 200) + rng.normal(0, 10, size=3)


def _class_color(rng: np.random.Generator, label: int) -> np.ndarray:
    return np.clip(SHAPE_COLORS[label] + rng.normal(0, 20, size=3), 0, 255)


def draw_shape(rng: np.random.Generator, label: int, size: int, mask: np.ndarray) -> None:
    """Draws class ``label`` (an index into :data:`SHAPE_CLASSES`) as 1s into the ``(size, size)`` uint8 ``mask``."""
    cx, cy = rng.integers(size // 8, size - size // 8, size=2)
    extent = int(rng.integers(size // 10, size // 4))
    if label == 1:
        cv2.circle(mask, (int(cx), int(cy)), extent, 1, -1)
    elif label == 2:
        w, h = rng.integers(size // 10, size // 3, size=2)
        cv2.rectangle(mask, (int(cx - w), int(cy - h)), (int(cx + w), int(cy + h)), 1, -1)
    elif label == 3:
        angles = rng.uniform(0, 2 * np.pi) + np.array([0, 2 * np.pi / 3, 4 * np.pi / 3])
        pts = np.stack([cx + extent * 1.3 * np.cos(angles), cy + extent * 1.3 * np.sin(angles)], 1)
        cv2.fillPoly(mask, [pts.round().astype(np.int32)], 1)
    elif label == 4:
        cv2.circle(mask, (int(cx), int(cy)), extent + 2, 1, thickness=max(size // 32, 2))
    elif label == 5:
        x2, y2 = rng.integers(0, size, size=2)
        cv2.line(mask, (int(cx), int(cy)), (int(x2), int(y2)), 1, thickness=max(size // 48, 1))
    else:
        raise ValueError(f'no shape for label {label}; valid labels are 1..{len(SHAPE_CLASSES) - 1}')


def make_segmentation_sample(seed: int, split: str, index: int, size: int = 64,
                             max_shapes: int = 5) -> Tuple[np.ndarray, np.ndarray]:
    """One image and its label map.

    Returns:
        tuple: ``img`` of shape ``(size, size, 3)`` uint8 (BGR) and ``label`` of shape ``(size, size)`` uint8 with
        values in ``range(len(SHAPE_CLASSES))``.
    """
    rng = split_rng(seed, split, index)
    img = two_texture_background(rng, size, _background_color)
    label = np.zeros((size, size), np.uint8)
    for _ in range(int(rng.integers(1, max_shapes + 1))):
        cls = int(rng.integers(1, len(SHAPE_CLASSES)))
        mask = np.zeros((size, size), np.uint8)
        draw_shape(rng, cls, size, mask)
        region = mask.astype(bool)
        img[region] = texture(rng, size, _class_color(rng, cls))[region]
        label[region] = cls
    return img, label


def make_classification_sample(seed: int, split: str, index: int, num_classes: int,
                               size: int = 32) -> Tuple[np.ndarray, int]:
    """One ``(size, size, 3)`` uint8 image whose class is ``index % num_classes``.

    Classes are shape kinds (:data:`SHAPE_CLASSES` minus background) crossed with a coarse colour family, so
    ``num_classes`` up to ``5 * 4`` distinct classes can be drawn.
    """
    shape_kinds = len(SHAPE_CLASSES) - 1
    color_families = 4
    if not 2 <= num_classes <= shape_kinds * color_families:
        raise ValueError(f'num_classes must be in [2, {shape_kinds * color_families}], got {num_classes}')
    rng = split_rng(seed, split, index)
    gt = index % num_classes
    shape, family = gt % shape_kinds + 1, gt // shape_kinds
    img = texture(rng, size, _background_color(rng) * 0.5)
    mask = np.zeros((size, size), np.uint8)
    draw_shape(rng, shape, size, mask)
    color = np.full(3, 70.0)
    color[family % 3] = 230.0
    if family == 3:
        color[:] = 230.0
    fill = texture(rng, size, np.clip(color + rng.normal(0, 15, 3), 0, 255))
    img[mask.astype(bool)] = fill[mask.astype(bool)]
    return img, gt


def ensure_generated(out_dir: str, params: Dict, write: Callable[[str], None]) -> None:
    """Generates a data folder once, safely when several processes (DDP ranks) ask at the same time.

    ``write(tmp_dir)`` fills a private temporary folder, which is then renamed into place atomically. A
    ``synthetic.json`` in the folder records ``params``; a folder made with other parameters is an error rather than
    silently reused.

    Args:
        out_dir (str): the folder to create.
        params (dict): JSON-serialisable generation parameters.
        write (Callable[[str], None]): fills the given folder.
    """
    record = osp.join(out_dir, 'synthetic.json')
    if not osp.isdir(out_dir):
        parent = osp.dirname(osp.abspath(out_dir))
        os.makedirs(parent, exist_ok=True)
        tmp_dir = tempfile.mkdtemp(prefix='.tmp-', dir=parent)
        try:
            write(tmp_dir)
            with open(osp.join(tmp_dir, 'synthetic.json'), 'w') as f:
                json.dump(params, f, sort_keys=True)
            os.rename(tmp_dir, out_dir)
        except OSError:
            if not osp.isfile(record):  # not another process winning the race: a real failure
                raise
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)
    if not osp.isfile(record):
        raise FileExistsError(f'{out_dir} exists but was not made by mmext\'s generator (no synthetic.json); '
                              'point data_root to an empty or new folder')
    with open(record) as f:
        found = json.load(f)
    if found != json.loads(json.dumps(params, sort_keys=True)):
        raise ValueError(f'{out_dir} was generated with {found}, but {params} was asked for; delete the folder or '
                         'use another data_root')


def write_images(folder: str, names: Sequence[str], images: Sequence[np.ndarray]) -> None:
    """Writes each image as ``folder/name`` (the suffix chooses the format)."""
    os.makedirs(folder, exist_ok=True)
    for name, img in zip(names, images):
        if not cv2.imwrite(osp.join(folder, name), img):
            raise OSError(f'could not write {osp.join(folder, name)}')
