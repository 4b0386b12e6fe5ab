// Host build of the CUDA kernel bodies in mmext/ops/csrc/common/cuda/sdc_cuda_kernel.cuh (float64), so that
// test_sdc_cuda_kernel_host.py can check their arithmetic against the reference on machines without a GPU.
// Each function runs one kernel's element function over its whole index range.
#include <cstdint>

#include "sdc_cuda_kernel.cuh"

using mmext::sdc::dispatch_gate;
using mmext::sdc::Geometry;

namespace {

Geometry geometry(const int* shape) {
  // shape: channels, guidance_channels, height, width, dilation, replicate
  return Geometry{shape[0], shape[1], shape[2], shape[3], shape[4], shape[5] != 0};
}

}  // namespace

extern "C" {

void sdc_host_shared_gate(int gate_fn, int64_t n, const int* shape, const double* guidance, const double* lam,
                          int invert, double* gate) {
  const Geometry geo = geometry(shape);
  dispatch_gate(gate_fn, [&](auto g) {
    for (int64_t i = 0; i < n; ++i) {
      mmext::sdc::shared_gate_element<double, double, decltype(g)>(i, guidance, lam, invert != 0, geo, gate);
    }
  });
}

void sdc_host_im2col(int gate_fn, int64_t n, const int* shape, const double* input, const double* guidance,
                     const double* gate, const double* lam, int invert, double* col) {
  const Geometry geo = geometry(shape);
  dispatch_gate(gate_fn, [&](auto g) {
    for (int64_t i = 0; i < n; ++i) {
      mmext::sdc::im2col_element<double, double, decltype(g)>(i, input, guidance, gate, lam, invert != 0, geo, col);
    }
  });
}

void sdc_host_shared_coef(int gate_fn, int64_t n, const int* shape, const double* input, const double* guidance,
                          const double* tcol, const double* lam, int invert, double* coef, double* lam_grad) {
  const Geometry geo = geometry(shape);
  dispatch_gate(gate_fn, [&](auto g) {
    for (int64_t i = 0; i < n; ++i) {
      mmext::sdc::shared_coef_element<double, double, decltype(g)>(i, input, guidance, tcol, lam, invert != 0, geo,
                                                                   coef, lam_grad);
    }
  });
}

void sdc_host_col2im(int gate_fn, int64_t n, const int* shape, const double* input, const double* guidance,
                     const double* gate, const double* tcol, const double* lam, int invert, double* grad_input,
                     double* grad_guidance, double* lam_grad) {
  const Geometry geo = geometry(shape);
  dispatch_gate(gate_fn, [&](auto g) {
    for (int64_t i = 0; i < n; ++i) {
      mmext::sdc::col2im_element<double, double, decltype(g)>(i, input, guidance, gate, tcol, lam, invert != 0, geo,
                                                              grad_input, grad_guidance, lam_grad);
    }
  });
}

void sdc_host_col2im_guidance(int64_t n, const int* shape, const double* guidance, const double* coef,
                              double* grad_guidance) {
  const Geometry geo = geometry(shape);
  for (int64_t i = 0; i < n; ++i) {
    mmext::sdc::col2im_guidance_element<double, double>(i, guidance, coef, geo, grad_guidance);
  }
}

}  // extern "C"
