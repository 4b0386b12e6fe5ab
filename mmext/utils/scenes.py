"""Segmentation scenes composited from real Fashion-MNIST items (pure functions of a random generator).

A scene is a textured two-part background with several real clothing items pasted at random scale and position;
later items occlude earlier ones, and most items are placed against one already there, so items of different classes
touch along real inter-class boundaries. The label of a pixel is the class of the item visible there, inside that
item's silhouette; everything else is background.

What makes the scenes a fair proxy for natural images (and unlike the generated shapes):

- **Colour carries no class.** Each item is its real grey photo multiplied by a tint drawn, independently of the
  class, from one palette that the backgrounds use too; colour and intensity augmentations therefore keep labels.
- **Intra-class edges.** Inside a silhouette the photo's own texture (seams, prints, folds) is kept, and the
  background is two textures meeting along a random line: edges in the image that are not class boundaries.
- **Resolvable structures.** The silhouette is the item's foreground closed with a disc and hole-filled at 28 px,
  the way polygon annotations outline an object, then scaled by at least ``min_scale``: a sandal's strap gaps become
  sandal, and no labelled structure is thinner than a few pixels of the canvas.
"""
import os
import os.path as osp
from typing import Dict, Tuple

import cv2
import numpy as np

from .idx import IDX_FILES, write_idx
from .synthetic import two_texture_background

FASHION_MNIST_CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag',
                         'Ankle boot')
SCENE_CLASSES = ('background', ) + FASHION_MNIST_CLASSES
# One palette (BGR) for item tints and backgrounds alike, so that no colour belongs to a class.
TINT_PALETTE = np.array([[230, 230, 230], [60, 60, 220], [220, 120, 40], [40, 200, 230], [70, 190, 80],
                         [190, 70, 180], [40, 130, 240], [200, 200, 60], [120, 80, 60], [150, 150, 255],
                         [90, 160, 160], [180, 110, 220]], dtype=np.float64)
ITEM_SIZE = 28


def item_silhouette(item: np.ndarray, threshold: int = 12, close_radius: int = 2) -> np.ndarray:
    """The labelled region of one ``(28, 28)`` uint8 item: pixels above ``threshold``, closed and hole-filled.

    Returns:
        np.ndarray: ``(28, 28)`` bool mask.
    """
    mask = (item > threshold).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * close_radius + 1, ) * 2)
    # Pad first so that closing does not glue the item to the image border.
    pad = close_radius + 1
    mask = cv2.morphologyEx(cv2.copyMakeBorder(mask, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0),
                            cv2.MORPH_CLOSE, kernel)
    flood = mask.copy()
    cv2.floodFill(flood, np.zeros((flood.shape[0] + 2, flood.shape[1] + 2), np.uint8), (0, 0), 1)
    filled = mask | (1 - flood)  # holes: what the flood from the border could not reach
    return filled[pad:-pad, pad:-pad].astype(bool)


def _background_color(rng: np.random.Generator) -> np.ndarray:
    """A palette colour, darkened: backgrounds are dimmer than items on average, but share their hues."""
    return TINT_PALETTE[rng.integers(len(TINT_PALETTE))] * rng.uniform(0.3, 0.6)


def _paste_window(top_left: Tuple[int, int], side: int, size: int):
    """Canvas and item slices of a ``side``-square item at ``top_left`` clipped to a ``size`` canvas."""
    (y0, x0), (y1, x1) = top_left, (top_left[0] + side, top_left[1] + side)
    cy0, cx0, cy1, cx1 = max(y0, 0), max(x0, 0), min(y1, size), min(x1, size)
    return (slice(cy0, cy1), slice(cx0, cx1)), (slice(cy0 - y0, cy1 - y0), slice(cx0 - x0, cx1 - x0))


def compose_scene(rng: np.random.Generator,
                  images: np.ndarray,
                  labels: np.ndarray,
                  size: int = 128,
                  num_items: Tuple[int, int] = (3, 6),
                  scale: Tuple[float, float] = (1.4, 2.4),
                  touch_prob: float = 0.75) -> Tuple[np.ndarray, np.ndarray]:
    """One scene from the item pool ``images`` ``(N, 28, 28)`` uint8 with ``labels`` ``(N,)`` in ``[0, 10)``.

    Args:
        rng: the scene's generator (the scene is a pure function of it and the pool).
        size: canvas side in pixels.
        num_items: inclusive range of the number of items.
        scale: range of the item's scale factor (28 px × scale is its side on the canvas).
        touch_prob: probability that an item after the first is placed against an earlier one (touching or
            overlapping it) rather than anywhere.

    Returns:
        tuple: ``img`` ``(size, size, 3)`` uint8 (BGR) and ``label`` ``(size, size)`` uint8 with 0 for background
        and ``1 + class`` for an item of Fashion-MNIST class ``class``.
    """
    if images.ndim != 3 or images.shape[1:] != (ITEM_SIZE, ITEM_SIZE) or len(images) != len(labels):
        raise ValueError(f'images must be (N, {ITEM_SIZE}, {ITEM_SIZE}) with one label each, got images '
                         f'{images.shape} and labels {labels.shape}')
    img = two_texture_background(rng, size, _background_color)
    label = np.zeros((size, size), np.uint8)
    centres = []
    for k in range(int(rng.integers(num_items[0], num_items[1] + 1))):
        index = int(rng.integers(len(images)))
        side = int(round(ITEM_SIZE * rng.uniform(*scale)))
        item = cv2.resize(images[index], (side, side), interpolation=cv2.INTER_LINEAR).astype(np.float64)
        silhouette = cv2.resize(item_silhouette(images[index]).astype(np.uint8), (side, side),
                                interpolation=cv2.INTER_NEAREST).astype(bool)
        if rng.random() < 0.5:
            item, silhouette = item[:, ::-1], silhouette[:, ::-1]
        if centres and rng.random() < touch_prob:
            anchor_y, anchor_x, anchor_side = centres[int(rng.integers(len(centres)))]
            angle, distance = rng.uniform(0, 2 * np.pi), rng.uniform(0.4, 0.8) * (side + anchor_side) / 2
            cy, cx = anchor_y + distance * np.sin(angle), anchor_x + distance * np.cos(angle)
        else:
            cy, cx = rng.uniform(side / 4, size - side / 4, size=2)
        cy, cx = float(np.clip(cy, 0, size - 1)), float(np.clip(cx, 0, size - 1))
        centres.append((cy, cx, side))
        tint = TINT_PALETTE[rng.integers(len(TINT_PALETTE))] * rng.uniform(0.7, 1.1)
        rendered = tint[None, None, :] * (0.2 + 0.8 * item[..., None] / 255) + rng.normal(0, 4, (side, side, 1))
        canvas, window = _paste_window((int(round(cy - side / 2)), int(round(cx - side / 2))), side, size)
        visible = silhouette[window]
        img[canvas][visible] = np.clip(rendered[window][visible], 0, 255).astype(np.uint8)
        label[canvas][visible] = int(labels[index]) + 1
    return img, label


def write_placeholder_items(root: str, sizes: Dict[str, int] = None, seed: int = 0) -> str:
    """A tiny stand-in for the Fashion-MNIST release in ``root``: grey textured blobs, class ``index % 10``.

    For tests and offline smoke runs of the scene pipeline only; the blobs carry no class cue, so nothing trained on
    them means anything. Returns ``root``.
    """
    sizes = sizes or {'train': 40, 'test': 20}
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    yy, xx = np.mgrid[0:ITEM_SIZE, 0:ITEM_SIZE]
    for split, count in sizes.items():
        items = np.zeros((count, ITEM_SIZE, ITEM_SIZE), np.uint8)
        for i in range(count):
            cy, cx = rng.uniform(10, 18, size=2)
            ry, rx = rng.uniform(5, 12, size=2)
            inside = ((yy - cy) / ry)**2 + ((xx - cx) / rx)**2 <= 1
            items[i][inside] = rng.integers(60, 256, size=int(inside.sum()))
        images_name, labels_name = IDX_FILES[split]
        write_idx(osp.join(root, images_name), items)
        write_idx(osp.join(root, labels_name), np.arange(count) % len(FASHION_MNIST_CLASSES))
    return root
