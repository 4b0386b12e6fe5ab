"""Batched intensity ops against their PIL definitions (AugSeg's augs_TIBA.py), and the op draws."""
import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from mmext.seg.models.utils.intensity_aug import (AUGSEG_OPS, AUGSEG_RANGES, INTENSITY_OPS, IntensityOps,
                                                  apply_intensity_ops, check_ops, op_values, sample_intensity_ops)
from mmext.utils.synthetic import make_segmentation_sample


def pil_op(name: str, img: np.ndarray, value: float) -> np.ndarray:
    """The official op on one HxWx3 uint8 RGB image, with its parameter given (not drawn)."""
    im = Image.fromarray(img)
    if name == 'identity':
        out = im
    elif name == 'autocontrast':
        out = ImageOps.autocontrast(im)
    elif name == 'equalize':
        out = ImageOps.equalize(im)
    elif name == 'invert':
        out = ImageOps.invert(im)
    elif name == 'gaussian_blur':
        out = im.filter(ImageFilter.GaussianBlur(radius=value))
    elif name in ('contrast', 'brightness', 'color', 'sharpness'):
        out = getattr(ImageEnhance, name.capitalize())(im).enhance(value)
    elif name == 'posterize':
        out = ImageOps.posterize(im, int(value))
    elif name == 'solarize':
        out = ImageOps.solarize(im, int(value))
    elif name == 'hue':
        # img_aug_hue with the drawn shift: uint8 addition on PIL's HSV hue (np.uint8 wrap of NumPy 1.x).
        h, s, v = im.convert('HSV').split()
        shifted = (np.array(h, dtype=np.int64) + int(value * 255)) % 256
        out = Image.merge('HSV', (Image.fromarray(shifted.astype(np.uint8), 'L'), s, v)).convert('RGB')
    else:
        raise KeyError(name)
    return np.asarray(out)


@pytest.fixture(scope='module')
def images() -> np.ndarray:
    """Three 40x52 RGB images: a textured synthetic scene, a low-contrast copy, uniform noise with a flat block."""
    scene = make_segmentation_sample(0, 'train', 3, size=64)[0][:40, :52, ::-1]
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, scene.shape, dtype=np.uint8)
    noise[10:20, 5:30] = (250, 10, 120)
    return np.stack([scene, (scene // 3 + 60).astype(np.uint8), noise])


PARAMS = [('identity', 0), ('autocontrast', 0), ('equalize', 0), ('invert', 0)]
PARAMS += [('gaussian_blur', v) for v in (0.1, 0.6, 1.0, 1.55, 2.0)]
PARAMS += [(op, v) for op in ('contrast', 'brightness', 'color', 'sharpness') for v in (0.05, 0.37, 0.95)]
PARAMS += [('posterize', v) for v in (4, 5, 7)] + [('solarize', v) for v in (1, 128, 255)]
PARAMS += [('hue', v) for v in (-0.5, -0.21, -0.002, 0.0, 0.3, 0.499)]


@pytest.mark.parametrize('name,value', PARAMS)
def test_op_matches_pil(images, name, value):
    batch = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    out = INTENSITY_OPS[name](batch, torch.full((len(images), ), float(value), dtype=torch.float64))
    assert out.shape == batch.shape and out.dtype == batch.dtype
    expected = np.stack([pil_op(name, img, value) for img in images]).astype(np.int64)
    # Every op reproduces PIL's integer arithmetic: no tolerance needed.
    np.testing.assert_array_equal(out.permute(0, 2, 3, 1).numpy().astype(np.int64), expected)


def test_ops_with_per_image_strengths_equal_one_image_at_a_time(images):
    batch = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    draws = sample_intensity_ops(np.random.default_rng(3), 3, len(AUGSEG_OPS), 3, False)
    together = apply_intensity_ops(batch, draws, AUGSEG_OPS, AUGSEG_RANGES)
    for i in range(3):
        single = IntensityOps(*(a[i:i + 1] for a in draws))
        alone = apply_intensity_ops(batch[i:i + 1], single, AUGSEG_OPS, AUGSEG_RANGES)
        torch.testing.assert_close(together[i:i + 1], alone, rtol=0, atol=0)


def test_draws_follow_the_official_distribution():
    draws = sample_intensity_ops(np.random.default_rng(0), 30000, 11, 3, True)
    counts = (draws.op_ids >= 0).sum(axis=1)
    # n ~ U{1, 2, 3}; slots after the n-th are empty.
    np.testing.assert_allclose(np.bincount(counts, minlength=4)[1:] / 30000, [1 / 3] * 3, atol=0.01)
    assert np.all(np.diff((draws.op_ids >= 0).astype(int), axis=1) <= 0)
    # ops with replacement, uniform over the list; strengths U(0, 1); hue signs +-1 with equal odds.
    ops = draws.op_ids[draws.op_ids >= 0]
    np.testing.assert_allclose(np.bincount(ops, minlength=11) / ops.size, [1 / 11] * 11, atol=0.01)
    assert 0 <= draws.strengths.min() and draws.strengths.max() < 1
    assert abs(draws.signs.mean()) < 0.02
    fixed = sample_intensity_ops(np.random.default_rng(0), 100, 12, 2, False)
    assert np.all(fixed.op_ids >= 0)


def test_strengths_map_to_the_official_parameter_ranges():
    u = np.array([0.0, 0.5, 0.999999])
    ones = np.ones(3)
    np.testing.assert_allclose(op_values('contrast', u, ones, (0.05, 0.95)), [0.95, 0.5, 0.05], atol=1e-5)
    np.testing.assert_allclose(op_values('gaussian_blur', u, ones, (0.1, 2.0)), [0.1, 1.05, 2.0], atol=1e-5)
    # bits = 8 - max(1, ceil(4u)) in {4..7}; threshold = 256 - max(1, ceil(255u)) in {1..255}.
    np.testing.assert_array_equal(op_values('posterize', u, ones, (4, 8)), [7, 6, 4])
    np.testing.assert_array_equal(op_values('solarize', u, ones, (1, 256)), [255, 128, 1])
    np.testing.assert_allclose(op_values('hue', u, -ones, (0.0, 0.5)), [0.0, -0.25, -0.5], atol=1e-5)
    np.testing.assert_array_equal(op_values('equalize', u, ones, None), [0, 0, 0])


def test_identity_only_list_is_a_no_op(images):
    batch = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    draws = sample_intensity_ops(np.random.default_rng(0), 3, 1, 3, True)
    torch.testing.assert_close(apply_intensity_ops(batch, draws, ('identity', ), {}), batch, rtol=0, atol=0)


def test_check_ops_names_the_problem():
    with pytest.raises(ValueError, match='rotate'):
        check_ops(('identity', 'rotate'), AUGSEG_RANGES)
    with pytest.raises(ValueError, match='hue'):
        check_ops(('hue', ), {})
    with pytest.raises(ValueError, match='lo <= hi'):
        check_ops(('contrast', ), {'contrast': (0.9, 0.1)})
