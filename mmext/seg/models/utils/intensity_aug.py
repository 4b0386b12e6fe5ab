"""AugSeg's random-strength intensity augmentation, on batched tensors (so it can run on the GPU).

Zhao et al., "Augmentation Matters: A Simple-yet-Effective Approach to Semi-supervised Semantic Segmentation",
CVPR 2023 (arXiv 2212.04976). The official code (ZhenZHAO/AugSeg, ``augseg/dataset/augs_TIBA.py``) applies PIL ops
one image at a time on the data-loader workers; here every op is re-implemented on a batch, with each image's own
strength, and reproduces the PIL result (``docs/augseg.md`` lists the per-op tolerances the tests check):

- LUT ops (autocontrast, equalize) build PIL's per-channel lookup tables from batched histograms;
- enhance ops (contrast, brightness, color, sharpness) blend with PIL's degenerate image and truncate like
  ``Image.blend``; grey values use PIL's fixed-point ITU-R 601 luma;
- the Gaussian blur is PIL's: three passes of an extended box blur with PIL's fixed-point weights, each pass rounded
  to uint8 (not a true Gaussian);
- the hue shift follows PIL's uint8 RGB -> HSV -> RGB round trip with the shift added modulo 256.

A strong view draws ``n ~ U{1..max_ops}`` ops per image (``random_num_ops``), with replacement, and a fresh strength
``u ~ U(0, 1)`` per op and image; the op maps ``u`` to its parameter (:func:`op_values`). All random draws come from a
``numpy.random.Generator`` on the host, so the augmentation is reproducible from its seed and needs no device sync.

Shape shorthand: N = images, 3 = RGB channels, H x W = image size, K = op slots per image (``max_ops``).
Images are float tensors ``(N, 3, H, W)`` holding integer RGB values in [0, 255] (the uint8 grid), in and out.
"""
import math
from typing import Dict, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

# The op list of the official release (``get_augment_list(flag_using_wide=False)``), in its order.
AUGSEG_OPS = ('identity', 'autocontrast', 'equalize', 'gaussian_blur', 'contrast', 'brightness', 'color',
              'sharpness', 'posterize', 'solarize', 'hue')
# Parameter range of each op with a strength; see :func:`op_values` for how a strength maps into it.
AUGSEG_RANGES = dict(
    gaussian_blur=(0.1, 2.0),
    contrast=(0.05, 0.95),
    brightness=(0.05, 0.95),
    color=(0.05, 0.95),
    sharpness=(0.05, 0.95),
    posterize=(4, 8),
    solarize=(1, 256),
    hue=(0.0, 0.5))
_ENHANCE_OPS = ('contrast', 'brightness', 'color', 'sharpness')
# PIL's ITU-R 601-2 luma in 16-bit fixed point: L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16.
_LUMA_WEIGHTS = (19595.0, 38470.0, 7471.0)
_BLUR_PASSES = 3


class IntensityOps(NamedTuple):
    """The ops drawn for a batch (host arrays).

    Attributes:
        op_ids (np.ndarray): ``(N, K)`` int64 indices into the op list, applied in slot order; -1 = empty slot.
        strengths (np.ndarray): ``(N, K)`` float64 in [0, 1), one strength per op and image.
        signs (np.ndarray): ``(N, K)`` of +-1.0, the direction of a hue shift.
    """
    op_ids: np.ndarray
    strengths: np.ndarray
    signs: np.ndarray


def _div(x: Tensor, divisor) -> Tensor:
    """``x / divisor`` rounded as IEEE division (and C) rounds it. ``tensor / python_scalar`` may be computed as
    ``x * (1 / divisor)`` on CUDA and ``python_scalar / tensor`` is ``reciprocal(x) * scalar`` on every device: one
    ulp off, which flips PIL's truncations. A divisor tensor on x's device takes the exact path."""
    return x / (divisor.to(x.dtype) if torch.is_tensor(divisor) else x.new_tensor(divisor))


def luma(img: Tensor) -> Tensor:
    """PIL's ``convert('L')`` of RGB images: ``(N, 3, H, W)`` -> ``(N, 1, H, W)``, integer values in [0, 255]."""
    r, g, b = img.unbind(1)
    # Exact in float32: the weighted sum stays below 2**24.
    total = r * _LUMA_WEIGHTS[0] + g * _LUMA_WEIGHTS[1] + b * _LUMA_WEIGHTS[2] + 32768.0
    return torch.floor(total / 65536.0).unsqueeze(1)


def blend(degenerate: Tensor, img: Tensor, factor: Tensor) -> Tensor:
    """PIL's ``Image.blend(degenerate, img, factor)`` on the uint8 grid: ``trunc(d + f * (x - d))``, clipped.

    Args:
        degenerate (Tensor): ``(N, 3 or 1, H, W)``.
        img (Tensor): ``(N, 3, H, W)``.
        factor (Tensor): ``(N,)``; PIL computes in float32, so the factor is rounded to float32 first.
    """
    f = factor.to(img.device, torch.float32).view(-1, 1, 1, 1)
    # For factors in [0, 1] the sum is non-negative, where floor equals C's truncation; beyond, PIL clips anyway.
    return torch.floor(degenerate + f * (img - degenerate)).clamp_(0, 255)


def _apply_lut(img: Tensor, lut: Tensor) -> Tensor:
    """Maps every value of ``img`` ``(N, 3, H, W)`` through its channel's table ``lut`` ``(N, 3, 256)``."""
    n, c, h, w = img.shape
    idx = img.reshape(n, c, h * w).long()
    return torch.gather(lut.to(img.dtype), 2, idx).view(n, c, h, w)


def _histograms(img: Tensor) -> Tensor:
    """Per-image, per-channel 256-bin histograms: ``(N, 3, H, W)`` -> ``(N, 3, 256)`` int64."""
    n, c = img.shape[:2]
    offsets = torch.arange(n * c, device=img.device).view(n, c, 1) * 256
    flat = (img.reshape(n, c, -1).long() + offsets).flatten()
    return torch.bincount(flat, minlength=n * c * 256).view(n, c, 256)


def identity(img: Tensor, value: Optional[Tensor] = None) -> Tensor:
    """Returns ``img`` unchanged."""
    return img


def autocontrast(img: Tensor, value: Optional[Tensor] = None) -> Tensor:
    """PIL's ``ImageOps.autocontrast`` (no cutoff): stretch each channel's [min, max] to [0, 255]."""
    lo = img.amin(dim=(2, 3), keepdim=True).squeeze(-1).double()
    hi = img.amax(dim=(2, 3), keepdim=True).squeeze(-1).double()
    scale = _div(torch.full_like(hi, 255.0), (hi - lo).clamp(min=1))
    levels = torch.arange(256, device=img.device, dtype=torch.float64)
    # PIL builds the table in double precision and truncates: int(ix * scale - lo * scale).
    lut = torch.trunc(levels * scale - lo * scale).clamp_(0, 255)
    lut = torch.where(hi > lo, lut, levels.expand_as(lut))
    return _apply_lut(img, lut)


def equalize(img: Tensor, value: Optional[Tensor] = None) -> Tensor:
    """PIL's ``ImageOps.equalize``: per-channel histogram equalisation with PIL's integer step rule."""
    hist = _histograms(img)
    levels = torch.arange(256, device=img.device)
    nonzero = hist > 0
    # Count of the highest occupied bin (PIL's histo[-1]).
    last_bin = torch.where(nonzero, levels, -1).amax(dim=2, keepdim=True)
    last_count = hist.gather(2, last_bin.clamp(min=0))
    step = (hist.sum(dim=2, keepdim=True) - last_count) // 255
    cum_before = hist.cumsum(dim=2) - hist
    lut = torch.div(step // 2 + cum_before, step.clamp(min=1), rounding_mode='floor').clamp_(max=255)
    keep = (nonzero.sum(dim=2, keepdim=True) <= 1) | (step == 0)
    lut = torch.where(keep, levels.expand_as(lut), lut)
    return _apply_lut(img, lut)


def _pil_box_radius(sigma: np.ndarray) -> np.ndarray:
    """PIL's ``_gaussian_blur_radius``: the extended-box radius whose 3 passes approximate a Gaussian of ``sigma``.

    Mirrors PIL's float32 arithmetic (Gwosdek et al., SSVM 2011, eqs. 7, 11, 14).
    """
    sigma = sigma.astype(np.float32)
    sigma2 = sigma * sigma / np.float32(_BLUR_PASSES)
    length = np.sqrt(12.0 * sigma2.astype(np.float64) + 1.0).astype(np.float32)
    whole = np.floor((length.astype(np.float64) - 1.0) / 2.0).astype(np.float32)
    frac = (np.float32(2) * whole + np.float32(1)) * (whole * (whole + np.float32(1)) - np.float32(3) * sigma2)
    frac = frac / (np.float32(6) * (sigma2 - (whole + np.float32(1)) * (whole + np.float32(1))))
    return whole + frac


def _box_blur_pass(img: Tensor, weights: Tensor, dim: int) -> Tensor:
    """One extended-box-blur pass along ``dim`` (3 = W, 2 = H) with per-image taps ``weights`` ``(N, T)``.

    Edges replicate the border pixel; the result is rounded half up to the uint8 grid, as PIL stores each pass.
    """
    taps = weights.shape[1]
    pad = taps // 2
    size = img.shape[dim]
    padding = (pad, pad, 0, 0) if dim == 3 else (0, 0, pad, pad)
    padded = F.pad(img, padding, mode='replicate')
    # T shifted multiply-adds (T <= 5 for radii up to 2): far cheaper than a grouped convolution in float64.
    out = torch.zeros_like(img)
    for tap in range(taps):
        out += weights[:, tap].view(-1, 1, 1, 1) * padded.narrow(dim, tap, size)
    return torch.floor(out + 0.5)


def gaussian_blur(img: Tensor, value: Tensor) -> Tensor:
    """PIL's ``ImageFilter.GaussianBlur(radius=value)``: 3 extended-box passes along W, then 3 along H.

    The taps use PIL's fixed-point weights (``ww = 2**24 // (2R + 1)`` in float32, ``fw`` for the fractional end
    taps) and the sums run in float64, where they are exact, so the result matches PIL's integer arithmetic.

    Args:
        img (Tensor): ``(N, 3, H, W)``.
        value (Tensor): ``(N,)`` Gaussian radius (sigma) per image, best on the host: it sets the kernel size.
    """
    box = _pil_box_radius(value.detach().cpu().numpy())
    whole = box.astype(np.int64)
    ww = np.floor(np.float32(1 << 24) / (box * np.float32(2) + np.float32(1))).astype(np.int64)
    fw = ((1 << 24) - (2 * whole + 1) * ww) // 2
    reach = int(whole.max()) + 1
    offsets = np.abs(np.arange(-reach, reach + 1))[None, :]
    taps = np.where(offsets <= whole[:, None], ww[:, None], np.where(offsets == whole[:, None] + 1, fw[:, None], 0))
    weights = torch.as_tensor(taps / float(1 << 24), dtype=torch.float64, device=img.device)
    out = img.double()
    for dim in (3, 2):
        for _ in range(_BLUR_PASSES):
            out = _box_blur_pass(out, weights, dim)
    return out.to(img.dtype)


def contrast(img: Tensor, value: Tensor) -> Tensor:
    """PIL's ``ImageEnhance.Contrast(img).enhance(value)``: blend with the image's mean grey level."""
    # PIL: int(sum / count + 0.5), in integers: (2 sum + count) // (2 count).
    count = img.shape[2] * img.shape[3]
    rounded_mean = (2 * luma(img).flatten(1).long().sum(dim=1) + count) // (2 * count)
    degenerate = rounded_mean.to(img.dtype).view(-1, 1, 1, 1)
    return blend(degenerate, img, value)


def brightness(img: Tensor, value: Tensor) -> Tensor:
    """PIL's ``ImageEnhance.Brightness(img).enhance(value)``: blend with black."""
    return blend(torch.zeros_like(img), img, value)


def color(img: Tensor, value: Tensor) -> Tensor:
    """PIL's ``ImageEnhance.Color(img).enhance(value)``: blend with the grey (luma) image."""
    return blend(luma(img), img, value)


def sharpness(img: Tensor, value: Tensor) -> Tensor:
    """PIL's ``ImageEnhance.Sharpness(img).enhance(value)``: blend with PIL's SMOOTH filter (borders unfiltered)."""
    n, c, h, w = img.shape
    # PIL normalises the kernel in float32: kernel[i] / 13.
    kernel = img.new_tensor(np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / np.float32(13))
    smooth = F.conv2d(img.reshape(n * c, 1, h, w), kernel.view(1, 1, 3, 3)).view(n, c, h - 2, w - 2)
    degenerate = img.clone()
    degenerate[..., 1:-1, 1:-1] = torch.floor(smooth + 0.5).clamp_(0, 255)
    return blend(degenerate, img, value)


def posterize(img: Tensor, value: Tensor) -> Tensor:
    """PIL's ``ImageOps.posterize(img, bits=value)``: keep the ``value`` high bits of each channel."""
    step = torch.pow(2.0, 8.0 - value.to(img)).view(-1, 1, 1, 1)
    return torch.floor(img / step) * step


def solarize(img: Tensor, value: Tensor) -> Tensor:
    """PIL's ``ImageOps.solarize(img, threshold=value)``: invert every value >= the threshold."""
    return torch.where(img >= value.to(img).view(-1, 1, 1, 1), 255.0 - img, img)


def invert(img: Tensor, value: Optional[Tensor] = None) -> Tensor:
    """PIL's ``ImageOps.invert``: ``255 - x`` (not in AugSeg's list; iMAS adds it)."""
    return 255.0 - img


def rgb_to_hsv_uint8(img: Tensor) -> Tensor:
    """PIL's RGB -> HSV conversion on the uint8 grid (``rgb2hsv_row``), including its float32/float64 mix."""
    rgb = img.double()
    r, g, b = rgb.unbind(1)
    maxc, minc = rgb.amax(dim=1), rgb.amin(dim=1)
    chroma = maxc - minc
    grey = chroma == 0
    cr = torch.where(grey, torch.ones_like(chroma), chroma)
    f32 = torch.float32
    sat = (cr.to(f32) / maxc.clamp(min=1).to(f32)).double()
    rc, gc, bc = ((maxc - ch).to(f32) / cr.to(f32) for ch in (r, g, b))
    # C stores each hue expression in a float: float32 for bc - gc, double sums rounded to float32 otherwise.
    hue = torch.where(r == maxc, (bc - gc).double(),
                      torch.where(g == maxc, (2.0 + rc.double() - bc.double()).to(f32).double(),
                                  (4.0 + gc.double() - rc.double()).to(f32).double()))
    hue = torch.fmod(_div(hue, 6.0) + 1.0, 1.0).to(f32).double()
    h = torch.where(grey, 0.0, torch.trunc(hue * 255.0).clamp(0, 255))
    s = torch.where(grey, 0.0, torch.trunc(sat * 255.0).clamp(0, 255))
    return torch.stack([h, s, maxc], dim=1)


def hsv_to_rgb_uint8(hsv: Tensor) -> Tensor:
    """PIL's HSV -> RGB conversion on the uint8 grid (``hsv2rgb``); returns float64 RGB values."""
    h, s, v = hsv.double().unbind(1)
    f32 = torch.float32
    position = _div(h * 6.0, 255.0)
    sector = torch.floor(position)
    frac = (position - sector).to(f32)
    fs = _div(s, 255.0).to(f32)

    def c_round(x: Tensor) -> Tensor:  # C round(): half away from zero (arguments here are >= 0)
        return torch.floor(x + 0.5).clamp(0, 255)

    p = c_round(v * (1.0 - fs.double()))
    q = c_round(v * (1.0 - (fs * frac).double()))
    t = c_round(v * (1.0 - fs.double() * (1.0 - frac.double())))
    sector = torch.remainder(sector, 6)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = torch.zeros_like(hsv, dtype=torch.float64)
    for k, channels in enumerate(choices):
        in_sector = (sector == k).unsqueeze(1)
        out = torch.where(in_sector, torch.stack(channels, dim=1), out)
    return torch.where((s == 0).unsqueeze(1), v.unsqueeze(1).expand_as(out), out)


def hue(img: Tensor, value: Tensor) -> Tensor:
    """AugSeg's ``img_aug_hue``: add ``value`` (a fraction of the hue circle in (-0.5, 0.5)) to PIL's uint8 hue.

    The shift is ``trunc(value * 255)`` modulo 256, which is what ``np.uint8(value * 255)`` gave for negative values
    under NumPy 1.x (NumPy 2 raises ``OverflowError`` there instead).
    """
    hsv = rgb_to_hsv_uint8(img)
    shift = torch.trunc(value.to(img.device, torch.float64) * 255.0).view(-1, 1, 1)
    hsv[:, 0] = torch.remainder(hsv[:, 0] + shift, 256.0)
    return hsv_to_rgb_uint8(hsv).to(img.dtype)


INTENSITY_OPS = dict(
    identity=identity,
    autocontrast=autocontrast,
    equalize=equalize,
    gaussian_blur=gaussian_blur,
    contrast=contrast,
    brightness=brightness,
    color=color,
    sharpness=sharpness,
    posterize=posterize,
    solarize=solarize,
    hue=hue,
    invert=invert)


def op_values(name: str, strengths: np.ndarray, signs: np.ndarray, value_range: Optional[Tuple[float, float]]
              ) -> np.ndarray:
    """Maps strengths ``u`` in [0, 1) to the parameter of op ``name``, as the official code does.

    - enhance ops (contrast, brightness, color, sharpness): ``hi - (hi - lo) * u`` (reduce-only for (0.05, 0.95));
    - ``gaussian_blur``: ``lo + (hi - lo) * u``;
    - ``posterize`` / ``solarize``: ``hi - max(1, ceil((hi - lo) * u))``, clipped to [lo, hi];
    - ``hue``: ``sign * (lo + (hi - lo) * u)``;
    - ops without a parameter: zeros.

    Args:
        name (str): op name, a key of :data:`INTENSITY_OPS`.
        strengths (np.ndarray): ``(M,)`` strengths, possibly already scaled by a per-image magnitude.
        signs (np.ndarray): ``(M,)`` of +-1.0 (used by ``hue`` only).
        value_range (tuple, optional): ``(lo, hi)``; required for the ops with a parameter.

    Returns:
        np.ndarray: ``(M,)`` float64 op parameters.
    """
    if name not in AUGSEG_RANGES:
        return np.zeros_like(strengths, dtype=np.float64)
    lo, hi = value_range
    if name in _ENHANCE_OPS:
        return hi - (hi - lo) * strengths
    if name == 'gaussian_blur':
        return lo + (hi - lo) * strengths
    if name == 'hue':
        return signs * (lo + (hi - lo) * strengths)
    steps = np.maximum(1, np.ceil((hi - lo) * strengths))
    return np.clip(hi - steps, lo, hi).astype(np.float64)


def sample_intensity_ops(rng: np.random.Generator, num_images: int, num_op_types: int, max_ops: int,
                         random_num_ops: bool) -> IntensityOps:
    """Draws the ops of a batch: per image ``n ~ U{1..max_ops}`` (or ``n = max_ops``) ops with replacement.

    Args:
        rng (np.random.Generator): host random generator.
        num_images (int): N.
        num_op_types (int): size of the op list to draw from.
        max_ops (int): K, the most ops per image.
        random_num_ops (bool): draw the count per image (AugSeg) or always apply ``max_ops`` ops.

    Returns:
        IntensityOps: ``(N, K)`` op indices (-1 after an image's n-th slot), strengths and hue signs.
    """
    counts = rng.integers(1, max_ops + 1, size=num_images) if random_num_ops else np.full(num_images, max_ops)
    op_ids = rng.integers(0, num_op_types, size=(num_images, max_ops))
    op_ids[np.arange(max_ops)[None, :] >= counts[:, None]] = -1
    strengths = rng.random((num_images, max_ops))
    signs = np.where(rng.random((num_images, max_ops)) < 0.5, -1.0, 1.0)
    return IntensityOps(op_ids, strengths, signs)


def apply_intensity_ops(img: Tensor, ops: IntensityOps, op_names: Sequence[str],
                        ranges: Dict[str, Tuple[float, float]]) -> Tensor:
    """Applies each image's ops in slot order; each op runs once per slot on all images that drew it.

    Args:
        img (Tensor): ``(N, 3, H, W)`` RGB values on the uint8 grid.
        ops (IntensityOps): the draws of :func:`sample_intensity_ops` (strengths may be pre-scaled).
        op_names (Sequence[str]): the op list ``ops.op_ids`` indexes.
        ranges (dict): ``(lo, hi)`` per op with a parameter, see :func:`op_values`.

    Returns:
        Tensor: ``(N, 3, H, W)`` augmented images on the uint8 grid.
    """
    out = img.clone()
    for slot in range(ops.op_ids.shape[1]):
        for op_id, name in enumerate(op_names):
            rows = np.flatnonzero(ops.op_ids[:, slot] == op_id)
            if rows.size == 0 or name == 'identity':
                continue
            values = op_values(name, ops.strengths[rows, slot], ops.signs[rows, slot], ranges.get(name))
            index = torch.as_tensor(rows, device=img.device)
            # Parameters stay on the host (each op moves what it needs), so the blur's kernel size costs no sync.
            out[index] = INTENSITY_OPS[name](out[index], torch.as_tensor(values))
    return out


def check_ops(op_names: Sequence[str], ranges: Dict[str, Tuple[float, float]]) -> None:
    """Raises ``ValueError`` for an unknown op or a parameterised op without a ``(lo, hi)`` range."""
    unknown = [name for name in op_names if name not in INTENSITY_OPS]
    if unknown:
        raise ValueError(f'ops {unknown} are not intensity ops; choose from {sorted(INTENSITY_OPS)}')
    missing = [name for name in op_names if name in AUGSEG_RANGES and name not in ranges]
    if missing:
        raise ValueError(f'ops {missing} need a (lo, hi) entry in ranges')
    bad = {name: r for name, r in ranges.items() if len(r) != 2 or not math.isfinite(r[0]) or r[0] > r[1]}
    if bad:
        raise ValueError(f'ranges must be (lo, hi) pairs with lo <= hi, got {bad}')
