"""An independent oracle of the semantic difference convolution, and values computed by hand.

``oracle_sdc`` is written from the equations of docs/sdn.md ("SDC operator") with numpy and plain loops; it shares
no code with mmext/ops/sdc.py or the C++/CUDA kernels (its own gate table, padding rule and tap offsets). The op is
compared with it through ``impl='auto'`` (the compiled kernel when mmext._ext is built, the pure-PyTorch reference
when ``MMEXT_WITH_OPS=0``) and through ``impl='reference'``, so gate values are checked in every configuration.
"""
import itertools
import math

import numpy as np
import pytest
import torch

from mmext.ops import semantic_difference_conv2d

# g(q) for a squared guidance difference q (per-channel gate) or a sum of them (shared gate), lam = contrast.
ORACLE_GATES = {
    'charbonnier': lambda q, lam: (1.0 + q / lam**2)**-0.5,
    'pm_rational': lambda q, lam: 1.0 / (1.0 + q / lam**2),
    'pm_exp': lambda q, lam: math.exp(-q / lam**2),
    'gaussian': lambda q, lam: math.exp(-q / (2.0 * lam**2)),
}
IMPLS = ['auto', 'reference']


def oracle_sdc(u, v, weight, lam, dilation=1, groups=1, gate_fn='charbonnier', guidance='per_channel',
               invert_gate=False, padding_mode='zeros'):
    """Y[b, o, y, x] = sum_{c in group(o)} sum_{i, j} w[o, c, i, j] * S * (U(neighbour) - U(y, x)), in loops.

    The neighbour of (y, x) for weight position (i, j) is (y + (i - 1) * d, x + (j - 1) * d); outside the image it
    reads 0 (zeros) or the nearest border pixel (replicate). S = g(dV^2) of the same channel (per_channel) or
    g(sum over V's channels of dV^2) (shared); invert_gate uses 1 - S.
    """
    u, v, weight = (np.asarray(t, dtype=np.float64) for t in (u, v, weight))
    batch, c_in, height, width = u.shape
    c_out = weight.shape[0]
    in_per_group, out_per_group = c_in // groups, c_out // groups

    def read(t, b, c, y, x):
        if 0 <= y < height and 0 <= x < width:
            return t[b, c, y, x]
        if padding_mode == 'replicate':
            return t[b, c, min(max(y, 0), height - 1), min(max(x, 0), width - 1)]
        return 0.0

    def gate(q):
        s = ORACLE_GATES[gate_fn](q, lam)
        return 1.0 - s if invert_gate else s

    out = np.zeros((batch, c_out, height, width))
    for b, o, y, x in itertools.product(range(batch), range(c_out), range(height), range(width)):
        total = 0.0
        for i, j in itertools.product(range(3), range(3)):
            ny, nx = y + (i - 1) * dilation, x + (j - 1) * dilation
            if guidance == 'shared':
                shared = gate(sum((read(v, b, cv, ny, nx) - v[b, cv, y, x])**2 for cv in range(v.shape[1])))
            for ci in range(in_per_group):
                c = (o // out_per_group) * in_per_group + ci
                s = shared if guidance == 'shared' else gate((read(v, b, c, ny, nx) - v[b, c, y, x])**2)
                total += weight[o, ci, i, j] * s * (read(u, b, c, ny, nx) - u[b, c, y, x])
        out[b, o, y, x] = total
    return out


def _sdc(u, v, weight, impl, **kwargs):
    as_tensor = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64))  # noqa: E731
    return semantic_difference_conv2d(as_tensor(u), as_tensor(v), as_tensor(weight), impl=impl, **kwargs).numpy()


# Every gate function with both guidance modes and paddings, dilation 1 and 2, grouped and inverted gates.
ORACLE_CASES = [
    dict(gate_fn='charbonnier', guidance='per_channel', padding_mode='zeros', dilation=1, groups=1),
    dict(gate_fn='pm_rational', guidance='shared', padding_mode='replicate', dilation=2, groups=1),
    dict(gate_fn='pm_exp', guidance='per_channel', padding_mode='replicate', dilation=2, groups=2),
    dict(gate_fn='gaussian', guidance='shared', padding_mode='zeros', dilation=1, groups=2, invert_gate=True),
    dict(gate_fn='charbonnier', guidance='shared', padding_mode='zeros', dilation=2, groups=1),
    dict(gate_fn='gaussian', guidance='per_channel', padding_mode='replicate', dilation=1, groups=1,
         invert_gate=True),
]


@pytest.mark.parametrize('impl', IMPLS)
@pytest.mark.parametrize('case', ORACLE_CASES, ids=lambda c: '-'.join(str(v) for v in c.values()))
def test_matches_independent_oracle(case, impl):
    rng = np.random.default_rng(0)
    c_v = 3 if case['guidance'] == 'shared' else 2
    u, v = rng.normal(size=(2, 2, 5, 6)), rng.normal(size=(2, c_v, 5, 6))
    weight = rng.normal(size=(4, 2 // case['groups'], 3, 3))
    np.testing.assert_allclose(_sdc(u, v, weight, impl, lam=0.7, **case), oracle_sdc(u, v, weight, 0.7, **case),
                               rtol=1e-10, atol=1e-12)


# Hand computation at the centre pixel p of a one-channel image with lam = 1 and w[0, 0] = [[1, 2, 3], [4, 5, 6],
# [7, 8, 9]]: only the right neighbour (weight 6) and the one below (weight 8) differ from p in U, by +2 and -1, so
#     Y(p) = 6 * 2 * g(q_right) + 8 * (-1) * g(q_below) = 12 g(q_right) - 8 g(q_below),
# where q is the squared guidance difference of that tap. Per-channel guidance: dV = 1 (right), sqrt(3) (below).
HAND_PER_CHANNEL = {  # 12 g(1) - 8 g(3)
    'charbonnier': 12 / math.sqrt(2) - 8 / 2,
    'pm_rational': 12 / 2 - 8 / 4,
    'pm_exp': 12 * math.exp(-1) - 8 * math.exp(-3),
    'gaussian': 12 * math.exp(-0.5) - 8 * math.exp(-1.5),
}
# Shared gate over two guidance channels: dV = (1, 1) to the right (q = 2), (sqrt(2), 1) below (q = 3).
HAND_SHARED = {  # 12 g(2) - 8 g(3)
    'charbonnier': 12 / math.sqrt(3) - 8 / 2,
    'pm_rational': 12 / 3 - 8 / 4,
    'pm_exp': 12 * math.exp(-2) - 8 * math.exp(-3),
    'gaussian': 12 * math.exp(-1) - 8 * math.exp(-1.5),
}
WEIGHT = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)


def _one_pixel_case(dilation, guidance_channels):
    """U, V on a (2d + 1)^2 image whose centre p = (d, d) has its right and lower neighbours at distance d.

    Pixels at distance 1 < d carry large values, which an implementation that ignores the dilation would read.
    """
    size, d = 2 * dilation + 1, dilation
    u, v = np.zeros((1, 1, size, size)), np.zeros((1, guidance_channels, size, size))
    u[0, 0, d, 2 * d], u[0, 0, 2 * d, d] = 2.0, -1.0
    if guidance_channels == 1:
        v[0, 0, d, 2 * d], v[0, 0, 2 * d, d] = 1.0, math.sqrt(3)
    else:
        v[0, :, d, 2 * d] = 1.0, 1.0
        v[0, :, 2 * d, d] = math.sqrt(2), 1.0
    if d > 1:
        u[0, 0, d, d + 1], u[0, 0, d + 1, d] = 50.0, -70.0
        v[0, :, d, d + 1] = 3.0
    return u, v


@pytest.mark.parametrize('impl', IMPLS)
@pytest.mark.parametrize('dilation', [1, 2])
@pytest.mark.parametrize('gate_fn', list(HAND_PER_CHANNEL))
def test_hand_computed_pixel(gate_fn, dilation, impl):
    for guidance, channels, expected in (('per_channel', 1, HAND_PER_CHANNEL), ('shared', 2, HAND_SHARED)):
        u, v = _one_pixel_case(dilation, channels)
        out = _sdc(u, v, WEIGHT, impl, lam=1.0, dilation=dilation, gate_fn=gate_fn, guidance=guidance)
        assert out[0, 0, dilation, dilation] == pytest.approx(expected[gate_fn], rel=1e-12), guidance
        # The oracle agrees with the hand value, so the comparisons above test the same function.
        assert oracle_sdc(u, v, WEIGHT, 1.0, dilation=dilation, gate_fn=gate_fn,
                          guidance=guidance)[0, 0, dilation, dilation] == pytest.approx(expected[gate_fn], rel=1e-12)


@pytest.mark.parametrize('impl', IMPLS)
def test_hand_computed_inverted_gate_and_shared_channels(impl):
    # 1 - g: 12 (1 - g(1)) - 8 (1 - g(3)) with charbonnier.
    u, v = _one_pixel_case(1, 1)
    out = _sdc(u, v, WEIGHT, impl, lam=1.0, invert_gate=True)
    assert out[0, 0, 1, 1] == pytest.approx(12 * (1 - 1 / math.sqrt(2)) - 8 * (1 - 1 / 2), rel=1e-12)
    # A shared gate is the same for every channel of U: two channels of U (the second one = 3 x the first) under
    # the two-channel guidance of HAND_SHARED, weights [WEIGHT, WEIGHT], give (1 + 3) x the one-channel value.
    u, v = _one_pixel_case(1, 2)
    out = _sdc(np.concatenate([u, 3 * u], axis=1), v, np.concatenate([WEIGHT, WEIGHT], axis=1), impl, lam=1.0,
               guidance='shared')
    assert out[0, 0, 1, 1] == pytest.approx(4 * HAND_SHARED['charbonnier'], rel=1e-12)


@pytest.mark.parametrize('impl', IMPLS)
@pytest.mark.parametrize('gate_fn', list(HAND_PER_CHANNEL))
def test_hand_computed_border_padding(gate_fn, impl):
    # A 1x1 image U = 2, V = 1: with zero padding every non-centre tap reads 0, so dU = -2 and dV = -1 at all
    # eight taps and Y = -2 g(1) * (45 - 5), 45 - 5 being the sum of the non-centre weights; with replicate
    # padding every neighbour is the pixel itself and Y = 0.
    u, v = np.full((1, 1, 1, 1), 2.0), np.full((1, 1, 1, 1), 1.0)
    g1 = {'charbonnier': 1 / math.sqrt(2), 'pm_rational': 0.5, 'pm_exp': math.exp(-1), 'gaussian': math.exp(-0.5)}
    zeros = _sdc(u, v, WEIGHT, impl, lam=1.0, gate_fn=gate_fn)
    assert zeros[0, 0, 0, 0] == pytest.approx(-2 * g1[gate_fn] * 40, rel=1e-12)
    assert _sdc(u, v, WEIGHT, impl, lam=1.0, gate_fn=gate_fn, padding_mode='replicate')[0, 0, 0, 0] == 0
