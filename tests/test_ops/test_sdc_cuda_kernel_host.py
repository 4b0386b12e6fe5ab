"""The CUDA kernel bodies of the SDC op, compiled for the host and checked against the reference.

mmext/ops/csrc/common/cuda/sdc_cuda_kernel.cuh writes each kernel as a host/device element function. Here they are
built with the host C++ compiler (sdc_cuda_kernel_host.cpp, a few seconds) and driven from Python with the same
chunking and GEMMs as pytorch/cuda/sdc_cuda.cu, so the CUDA arithmetic (gates, padding, the gather-form backward)
is tested on machines without a GPU. The launch code itself is covered by the GPU tests in test_sdc.py.
"""
import ctypes
import os.path as osp
import shutil
import subprocess

import pytest
import torch

from mmext.ops.sdc import GATE_FNS, semantic_difference_conv2d

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
COMMON = osp.join(REPO, 'mmext', 'ops', 'csrc', 'common')
CXX = shutil.which('c++') or shutil.which('g++')
TAPS = [0, 1, 2, 3, 5, 6, 7, 8]  # the centre tap (4) is skipped by the kernels

pytestmark = pytest.mark.skipif(CXX is None, reason='needs a host C++ compiler')


@pytest.fixture(scope='module')
def kernels(tmp_path_factory):
    lib = tmp_path_factory.mktemp('sdc_host') / 'sdc_cuda_kernel_host.so'
    subprocess.run([
        CXX, '-O1', '-std=c++17', '-shared', '-fPIC', f'-I{COMMON}', f'-I{osp.join(COMMON, "cuda")}',
        osp.join(osp.dirname(__file__), 'sdc_cuda_kernel_host.cpp'), '-o',
        str(lib)
    ],
                   check=True)
    return ctypes.CDLL(str(lib))


def _ptr(t):
    return ctypes.c_void_p(t.data_ptr() if t is not None else 0)


def _host_sdc(kernels, u, v, weight, lam, grad_out, dilation, groups, gate_fn, shared, invert, replicate,
              chunk=2):
    """Forward and backward of sdc_cuda.cu with the host-compiled kernels (float64, chunks of `chunk` images)."""
    batch, c_in, height, width = u.shape
    c_v, c_out, hw = v.shape[1], weight.shape[0], height * width
    rows, gate_id = c_in // groups * 8, GATE_FNS.index(gate_fn)
    shape = (ctypes.c_int * 6)(c_in, c_v, height, width, dilation, int(replicate))
    weight8 = weight.reshape(c_out, c_in // groups, 9)[:, :, TAPS].reshape(groups, c_out // groups, rows)
    f64 = dict(dtype=torch.float64)
    out, grad_u, grad_v = torch.empty(batch, c_out, height, width, **f64), torch.empty_like(u), torch.empty_like(v)
    grad_weight8, grad_lam = torch.zeros_like(weight8), 0.0
    for b0 in range(0, batch, chunk):
        n = min(chunk, batch - b0)
        uc, vc = u[b0:b0 + n].contiguous(), v[b0:b0 + n].contiguous()
        grad = grad_out[b0:b0 + n].reshape(n, groups, c_out // groups, hw)
        gate = torch.empty(n, 8, hw, **f64) if shared else None
        col = torch.empty(n, groups, rows, hw, **f64)
        if shared:
            kernels.sdc_host_shared_gate(gate_id, ctypes.c_int64(n * 8 * hw), shape, _ptr(vc), _ptr(lam), invert,
                                         _ptr(gate))
        kernels.sdc_host_im2col(gate_id, ctypes.c_int64(n * c_in * hw), shape, _ptr(uc), _ptr(vc), _ptr(gate),
                                _ptr(lam), invert, _ptr(col))
        out[b0:b0 + n] = (weight8 @ col).reshape(n, c_out, height, width)
        grad_weight8 += (grad @ col.transpose(-1, -2)).sum(0)
        tcol = (weight8.transpose(1, 2) @ grad).contiguous()
        lam_terms = torch.empty(n, 8 if shared else c_in, hw, **f64)
        coef = torch.empty(n, 8, hw, **f64) if shared else None
        if shared:
            kernels.sdc_host_shared_coef(gate_id, ctypes.c_int64(n * 8 * hw), shape, _ptr(uc), _ptr(vc), _ptr(tcol),
                                         _ptr(lam), invert, _ptr(coef), _ptr(lam_terms))
        gu, gv = torch.empty_like(uc), torch.empty_like(vc)
        kernels.sdc_host_col2im(gate_id, ctypes.c_int64(n * c_in * hw), shape, _ptr(uc), _ptr(vc), _ptr(gate),
                                _ptr(tcol), _ptr(lam), invert, _ptr(gu), _ptr(gv), _ptr(lam_terms))
        if shared:
            kernels.sdc_host_col2im_guidance(ctypes.c_int64(n * c_v * hw), shape, _ptr(vc), _ptr(coef), _ptr(gv))
        grad_u[b0:b0 + n], grad_v[b0:b0 + n] = gu, gv
        grad_lam += lam_terms.sum().item()
    grad_weight = torch.zeros_like(weight).reshape(c_out, c_in // groups, 9)
    grad_weight[:, :, TAPS] = grad_weight8.reshape(c_out, c_in // groups, 8)
    return out, grad_u, grad_v, grad_weight.reshape(weight.shape), torch.tensor(grad_lam, dtype=torch.float64)


@pytest.mark.parametrize('gate_fn', GATE_FNS)
@pytest.mark.parametrize('guidance, padding_mode, dilation, groups, invert', [
    ('per_channel', 'zeros', 1, 1, False),
    ('per_channel', 'replicate', 2, 3, True),
    ('shared', 'zeros', 2, 1, True),
    ('shared', 'replicate', 1, 3, False),
    ('shared', 'replicate', 3, 1, False),
])
def test_host_cuda_kernels_match_reference(kernels, gate_fn, guidance, padding_mode, dilation, groups, invert):
    gen, f64 = torch.Generator().manual_seed(0), dict(dtype=torch.float64, requires_grad=True)
    u = torch.randn(3, 3, 5, 7, generator=gen, **f64)
    v = torch.randn(3, 2 if guidance == 'shared' else 3, 5, 7, generator=gen, **f64)
    weight = torch.randn(6, 3 // groups, 3, 3, generator=gen, **f64)
    lam = torch.tensor(0.8, **f64)
    options = dict(dilation=dilation, groups=groups, gate_fn=gate_fn, guidance=guidance, invert_gate=invert,
                   padding_mode=padding_mode)
    out = semantic_difference_conv2d(u, v, weight, lam=lam, impl='reference', **options)
    grad_out = torch.randn(out.shape, generator=gen, dtype=torch.float64)
    expected = (out, *torch.autograd.grad(out, (u, v, weight, lam), grad_out))
    actual = _host_sdc(kernels, u.detach(), v.detach(), weight.detach(), lam.detach(), grad_out, dilation, groups,
                       gate_fn, guidance == 'shared', invert, padding_mode == 'replicate')
    for name, a, e in zip(('out', 'du', 'dv', 'dweight', 'dlam'), actual, expected):
        torch.testing.assert_close(a, e, rtol=1e-10, atol=1e-10, msg=lambda m: f'{name}: {m}')
