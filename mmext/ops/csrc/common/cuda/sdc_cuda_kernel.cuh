// Kernels of the CUDA semantic difference convolution.
//
// The bodies are host/device element functions (one output element per call) so that a host compiler can also
// build them; the __global__ wrappers at the end only add the grid-stride loop. Buffers cover a chunk of Bc
// images, flattened with HW = H * W:
//   col   [Bc, C * 8, HW]  X = S * dU, row c * 8 + k (the GEMM operand of the forward pass and of dW)
//   tcol  [Bc, C * 8, HW]  T = W^T G, same layout as col
//   gate  [Bc, 8, HW]      shared gates S (shared mode only)
//   coef  [Bc, 8, HW]      2 * sum_c(T * dU) * dS/ds, the dV factor of the shared mode
// The backward pass is in gather form: one call per input pixel q sums the contributions of every window that
// reads q, so no atomics are needed.
#ifndef MMEXT_SDC_CUDA_KERNEL_CUH
#define MMEXT_SDC_CUDA_KERNEL_CUH

#include "sdc_common.hpp"

#ifdef __CUDACC__
#include "common_cuda_helper.hpp"
#endif

namespace mmext {
namespace sdc {

struct Geometry {
  int channels;           // C, channels of U
  int guidance_channels;  // Cv, channels of V
  int height, width, dilation;
  bool replicate;  // replicate padding (else zeros)
};

// plane[y, x] with the padding rule applied outside the image.
template <typename T>
SDC_HOST_DEVICE T padded_value(const T* plane, int y, int x, const Geometry& geo) {
  if (geo.replicate) {
    y = y < 0 ? 0 : (y >= geo.height ? geo.height - 1 : y);
    x = x < 0 ? 0 : (x >= geo.width ? geo.width - 1 : x);
  } else if (y < 0 || y >= geo.height || x < 0 || x >= geo.width) {
    return T(0);
  }
  return plane[y * geo.width + x];
}

// Range [lo, hi] of positions p in [0, n) whose neighbour p + off reads position q (several p read the border
// pixel under replicate padding; none reads padding under zero padding).
SDC_HOST_DEVICE void source_range(int q, int off, int n, bool replicate, int& lo, int& hi) {
  lo = (replicate && q == 0) ? 0 : q - off;
  hi = (replicate && q == n - 1) ? n - 1 : q - off;
  lo = lo < 0 ? 0 : lo;
  hi = hi > n - 1 ? n - 1 : hi;
}

// Centred difference plane[p + delta] - plane[p] at pixel (y, x).
template <typename scalar_t, typename acc_t>
SDC_HOST_DEVICE acc_t centred_diff(const scalar_t* plane, int y, int x, int dy, int dx, const Geometry& geo) {
  return static_cast<acc_t>(padded_value(plane, y + dy, x + dx, geo)) -
         static_cast<acc_t>(plane[y * geo.width + x]);
}

// Shared-gate sum s = sum_cv dV^2 for tap (dy, dx) at (y, x); `guidance` points at the image's first channel.
template <typename scalar_t, typename acc_t>
SDC_HOST_DEVICE acc_t shared_sq_sum(const scalar_t* guidance, int y, int x, int dy, int dx, const Geometry& geo) {
  const int64_t hw = static_cast<int64_t>(geo.height) * geo.width;
  acc_t s = acc_t(0);
  for (int cv = 0; cv < geo.guidance_channels; ++cv) {
    const acc_t dv = centred_diff<scalar_t, acc_t>(guidance + cv * hw, y, x, dy, dx, geo);
    s += dv * dv;
  }
  return s;
}

// Shared gates: one call per (b, k, p) of gate [Bc, 8, HW].
template <typename scalar_t, typename acc_t, typename Gate>
SDC_HOST_DEVICE void shared_gate_element(int64_t index, const scalar_t* guidance, const acc_t* lam, bool invert,
                                         const Geometry& geo, acc_t* gate) {
  const int64_t hw = static_cast<int64_t>(geo.height) * geo.width;
  const int p = static_cast<int>(index % hw);
  const int k = static_cast<int>((index / hw) % kNumTaps);
  const int64_t b = index / (hw * kNumTaps);
  const GateScale<acc_t> scale(lam[0], invert);
  const acc_t s = shared_sq_sum<scalar_t, acc_t>(guidance + b * geo.guidance_channels * hw, p / geo.width,
                                                 p % geo.width, tap_dy(k, geo.dilation), tap_dx(k, geo.dilation), geo);
  gate[index] = gate_value<Gate>(s, scale);
}

// Columns X = S * dU: one call per (b, c, p) of U, writing its 8 taps. `gate` is null for per-channel gates.
template <typename scalar_t, typename acc_t, typename Gate>
SDC_HOST_DEVICE void im2col_element(int64_t index, const scalar_t* input, const scalar_t* guidance,
                                    const acc_t* gate, const acc_t* lam, bool invert, const Geometry& geo,
                                    scalar_t* col) {
  const int64_t hw = static_cast<int64_t>(geo.height) * geo.width;
  const int64_t p = index % hw;
  const int64_t bc = index / hw;  // b * C + c
  const int64_t b = bc / geo.channels;
  const int y = static_cast<int>(p / geo.width), x = static_cast<int>(p % geo.width);
  const scalar_t* u = input + bc * hw;
  const GateScale<acc_t> scale(lam[0], invert);
  for (int k = 0; k < kNumTaps; ++k) {
    const int dy = tap_dy(k, geo.dilation), dx = tap_dx(k, geo.dilation);
    const acc_t du = centred_diff<scalar_t, acc_t>(u, y, x, dy, dx, geo);
    acc_t s;
    if (gate != nullptr) {
      s = gate[(b * kNumTaps + k) * hw + p];
    } else {
      const acc_t dv = centred_diff<scalar_t, acc_t>(guidance + bc * hw, y, x, dy, dx, geo);
      s = gate_value<Gate>(dv * dv, scale);
    }
    col[(bc * kNumTaps + k) * hw + p] = static_cast<scalar_t>(s * du);
  }
}

// Shared-mode dV factor: one call per (b, k, p). With Q = sum_c T * dU, writes coef = 2 Q dS/ds and the lam
// gradient contribution Q dS/dlam.
template <typename scalar_t, typename acc_t, typename Gate>
SDC_HOST_DEVICE void shared_coef_element(int64_t index, const scalar_t* input, const scalar_t* guidance,
                                         const scalar_t* tcol, const acc_t* lam, bool invert, const Geometry& geo,
                                         acc_t* coef, acc_t* lam_grad) {
  const int64_t hw = static_cast<int64_t>(geo.height) * geo.width;
  const int64_t p = index % hw;
  const int k = static_cast<int>((index / hw) % kNumTaps);
  const int64_t b = index / (hw * kNumTaps);
  const int y = static_cast<int>(p / geo.width), x = static_cast<int>(p % geo.width);
  const int dy = tap_dy(k, geo.dilation), dx = tap_dx(k, geo.dilation);
  const GateScale<acc_t> scale(lam[0], invert);
  const acc_t s = shared_sq_sum<scalar_t, acc_t>(guidance + b * geo.guidance_channels * hw, y, x, dy, dx, geo);
  acc_t g, dg_ds, dg_dlam;
  gate_eval<Gate>(s, scale, g, dg_ds, dg_dlam);
  acc_t q = acc_t(0);
  for (int c = 0; c < geo.channels; ++c) {
    const int64_t bc = b * geo.channels + c;
    q += static_cast<acc_t>(tcol[(bc * kNumTaps + k) * hw + p]) *
         centred_diff<scalar_t, acc_t>(input + bc * hw, y, x, dy, dx, geo);
  }
  coef[index] = acc_t(2) * q * dg_ds;
  lam_grad[index] = q * dg_dlam;
}

// Gradients at one input pixel q = (b, c, qy, qx) of U. For every tap, window pixels p with p + delta -> q add
// T * S at p; the window centred on q itself subtracts T * S at q. Per-channel gates also give dV at q the same
// way from R = T * dU * dS/ddV, and the lam contribution of the windows centred on q. `gate` is null for
// per-channel gates; grad_guidance and lam_grad are only written for per-channel gates.
template <typename scalar_t, typename acc_t, typename Gate>
SDC_HOST_DEVICE void col2im_element(int64_t index, const scalar_t* input, const scalar_t* guidance,
                                    const acc_t* gate, const scalar_t* tcol, const acc_t* lam, bool invert,
                                    const Geometry& geo, scalar_t* grad_input, scalar_t* grad_guidance,
                                    acc_t* lam_grad) {
  const int64_t hw = static_cast<int64_t>(geo.height) * geo.width;
  const int64_t q = index % hw;
  const int64_t bc = index / hw;
  const int64_t b = bc / geo.channels;
  const int qy = static_cast<int>(q / geo.width), qx = static_cast<int>(q % geo.width);
  const scalar_t* u = input + bc * hw;
  const scalar_t* v = gate == nullptr ? guidance + bc * hw : nullptr;
  const GateScale<acc_t> scale(lam[0], invert);
  acc_t gu = acc_t(0), gv = acc_t(0), gl = acc_t(0);
  for (int k = 0; k < kNumTaps; ++k) {
    const int dy = tap_dy(k, geo.dilation), dx = tap_dx(k, geo.dilation);
    const scalar_t* t = tcol + (bc * kNumTaps + k) * hw;
    // sign +1 for the windows whose neighbour is q, -1 for the window centred on q.
    auto add = [&](int y, int x, acc_t sign) {
      const int64_t p = static_cast<int64_t>(y) * geo.width + x;
      const acc_t tp = static_cast<acc_t>(t[p]);
      if (v == nullptr) {
        gu += sign * tp * gate[(b * kNumTaps + k) * hw + p];
        return;
      }
      const acc_t du = centred_diff<scalar_t, acc_t>(u, y, x, dy, dx, geo);
      const acc_t dv = centred_diff<scalar_t, acc_t>(v, y, x, dy, dx, geo);
      acc_t g, dg_dq, dg_dlam;
      gate_eval<Gate>(dv * dv, scale, g, dg_dq, dg_dlam);
      gu += sign * tp * g;
      gv += sign * tp * du * acc_t(2) * dv * dg_dq;
      if (sign < acc_t(0)) gl += tp * du * dg_dlam;
    };
    int ylo, yhi, xlo, xhi;
    source_range(qy, dy, geo.height, geo.replicate, ylo, yhi);
    source_range(qx, dx, geo.width, geo.replicate, xlo, xhi);
    for (int y = ylo; y <= yhi; ++y) {
      for (int x = xlo; x <= xhi; ++x) add(y, x, acc_t(1));
    }
    add(qy, qx, acc_t(-1));
  }
  grad_input[index] = static_cast<scalar_t>(gu);
  if (v != nullptr) {
    grad_guidance[index] = static_cast<scalar_t>(gv);
    lam_grad[index] = gl;
  }
}

// Shared-mode dV at one guidance pixel q = (b, cv, qy, qx), in the gather form of col2im_element with
// R = coef * dV.
template <typename scalar_t, typename acc_t>
SDC_HOST_DEVICE void col2im_guidance_element(int64_t index, const scalar_t* guidance, const acc_t* coef,
                                             const Geometry& geo, scalar_t* grad_guidance) {
  const int64_t hw = static_cast<int64_t>(geo.height) * geo.width;
  const int64_t q = index % hw;
  const int64_t b = index / (hw * geo.guidance_channels);
  const int qy = static_cast<int>(q / geo.width), qx = static_cast<int>(q % geo.width);
  const scalar_t* v = guidance + (index / hw) * hw;
  acc_t gv = acc_t(0);
  for (int k = 0; k < kNumTaps; ++k) {
    const int dy = tap_dy(k, geo.dilation), dx = tap_dx(k, geo.dilation);
    const acc_t* c = coef + (b * kNumTaps + k) * hw;
    int ylo, yhi, xlo, xhi;
    source_range(qy, dy, geo.height, geo.replicate, ylo, yhi);
    source_range(qx, dx, geo.width, geo.replicate, xlo, xhi);
    for (int y = ylo; y <= yhi; ++y) {
      for (int x = xlo; x <= xhi; ++x) {
        gv += c[static_cast<int64_t>(y) * geo.width + x] * centred_diff<scalar_t, acc_t>(v, y, x, dy, dx, geo);
      }
    }
    gv -= c[q] * centred_diff<scalar_t, acc_t>(v, qy, qx, dy, dx, geo);
  }
  grad_guidance[index] = static_cast<scalar_t>(gv);
}

#ifdef __CUDACC__

template <typename scalar_t, typename acc_t, typename Gate>
__global__ void sdc_shared_gate_kernel(int64_t n, const scalar_t* guidance, const acc_t* lam, bool invert,
                                       Geometry geo, acc_t* gate) {
  CUDA_1D_KERNEL_LOOP(index, n) { shared_gate_element<scalar_t, acc_t, Gate>(index, guidance, lam, invert, geo, gate); }
}

template <typename scalar_t, typename acc_t, typename Gate>
__global__ void sdc_im2col_kernel(int64_t n, const scalar_t* input, const scalar_t* guidance, const acc_t* gate,
                                  const acc_t* lam, bool invert, Geometry geo, scalar_t* col) {
  CUDA_1D_KERNEL_LOOP(index, n) {
    im2col_element<scalar_t, acc_t, Gate>(index, input, guidance, gate, lam, invert, geo, col);
  }
}

template <typename scalar_t, typename acc_t, typename Gate>
__global__ void sdc_shared_coef_kernel(int64_t n, const scalar_t* input, const scalar_t* guidance,
                                       const scalar_t* tcol, const acc_t* lam, bool invert, Geometry geo,
                                       acc_t* coef, acc_t* lam_grad) {
  CUDA_1D_KERNEL_LOOP(index, n) {
    shared_coef_element<scalar_t, acc_t, Gate>(index, input, guidance, tcol, lam, invert, geo, coef, lam_grad);
  }
}

template <typename scalar_t, typename acc_t, typename Gate>
__global__ void sdc_col2im_kernel(int64_t n, const scalar_t* input, const scalar_t* guidance, const acc_t* gate,
                                  const scalar_t* tcol, const acc_t* lam, bool invert, Geometry geo,
                                  scalar_t* grad_input, scalar_t* grad_guidance, acc_t* lam_grad) {
  CUDA_1D_KERNEL_LOOP(index, n) {
    col2im_element<scalar_t, acc_t, Gate>(index, input, guidance, gate, tcol, lam, invert, geo, grad_input,
                                          grad_guidance, lam_grad);
  }
}

template <typename scalar_t, typename acc_t>
__global__ void sdc_col2im_guidance_kernel(int64_t n, const scalar_t* guidance, const acc_t* coef, Geometry geo,
                                           scalar_t* grad_guidance) {
  CUDA_1D_KERNEL_LOOP(index, n) {
    col2im_guidance_element<scalar_t, acc_t>(index, guidance, coef, geo, grad_guidance);
  }
}

#endif  // __CUDACC__

}  // namespace sdc
}  // namespace mmext

#endif  // MMEXT_SDC_CUDA_KERNEL_CUH
