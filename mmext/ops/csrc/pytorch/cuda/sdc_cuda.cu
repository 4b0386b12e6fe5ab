// CUDA launchers of the semantic difference convolution.
//
// The batch is processed in chunks of images (like mmcv's im2col_step) so that the column buffers
// [chunk, C * 8, H * W] stay bounded. Per chunk:
//   forward:  (shared gates) -> im2col X = S * dU -> Y = W X by batched GEMM;
//   backward: (shared gates) -> im2col X -> dW += G X^T and T = W^T G by GEMM -> (shared: dV factor)
//             -> col2im gathers dU (and per-channel dV, lam terms) -> (shared: gather dV).
// Kernels are in common/cuda/sdc_cuda_kernel.cuh. Half and bfloat16 inputs are computed with float gates and
// accumulators; lam is read in the accumulation type whatever its own dtype.
#include <ATen/OpMathType.h>
// Only c10 CUDA headers: ATen/cuda/CUDAContext.h would also need the cuBLAS/cuSPARSE headers, which minimal
// toolkits lack.
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <algorithm>

#include "pytorch_cpp_helper.hpp"
#include "sdc_cuda_kernel.cuh"

namespace {

using mmext::sdc::dispatch_gate;
using mmext::sdc::Geometry;
using mmext::sdc::kNumTaps;

// float, double, half and bfloat16 (the last two with float accumulation).
#define SDC_DISPATCH_FLOATING_TYPES(TYPE, NAME, ...) \
  AT_DISPATCH_FLOATING_TYPES_AND2(at::ScalarType::Half, at::ScalarType::BFloat16, TYPE, NAME, __VA_ARGS__)

// Column elements per chunk: 64 Mi elements, i.e. 256 MB per fp32 buffer at most (a chunk holds at least one
// image).
constexpr int64_t kChunkElements = int64_t(1) << 26;

Geometry make_geometry(const Tensor& input, const Tensor& guidance, int64_t dilation, bool replicate_pad) {
  return Geometry{static_cast<int>(input.size(1)), static_cast<int>(guidance.size(1)), static_cast<int>(input.size(2)),
                  static_cast<int>(input.size(3)), static_cast<int>(dilation), replicate_pad};
}

int64_t images_per_chunk(const Tensor& input) {
  const int64_t per_image = input.size(1) * kNumTaps * input.size(2) * input.size(3);
  return std::clamp<int64_t>(kChunkElements / std::max<int64_t>(per_image, 1), 1, input.size(0));
}

// Shared gates (when shared_gate) and columns of images [b0, b0 + n) into gate and col.
template <typename scalar_t, typename acc_t, typename Gate>
void launch_columns(const Tensor& input, const Tensor& guidance, const acc_t* lam, const Geometry& geo, int64_t b0,
                    int64_t n, bool shared_gate, bool invert_gate, Tensor& gate, Tensor& col, cudaStream_t stream) {
  const int64_t hw = input.size(2) * input.size(3);
  const scalar_t* u = input.data_ptr<scalar_t>() + b0 * geo.channels * hw;
  const scalar_t* v = guidance.data_ptr<scalar_t>() + b0 * geo.guidance_channels * hw;
  acc_t* gate_ptr = nullptr;
  if (shared_gate) {
    gate_ptr = gate.data_ptr<acc_t>();
    const int64_t count = n * kNumTaps * hw;
    mmext::sdc::sdc_shared_gate_kernel<scalar_t, acc_t, Gate><<<GET_BLOCKS(count), THREADS_PER_BLOCK, 0, stream>>>(
        count, v, lam, invert_gate, geo, gate_ptr);
  }
  const int64_t count = n * geo.channels * hw;
  mmext::sdc::sdc_im2col_kernel<scalar_t, acc_t, Gate><<<GET_BLOCKS(count), THREADS_PER_BLOCK, 0, stream>>>(
      count, u, v, gate_ptr, lam, invert_gate, geo, col.data_ptr<scalar_t>());
}

}  // namespace

void SDCForwardCUDAKernelLauncher(Tensor input, Tensor guidance, Tensor weight8, Tensor lam, Tensor output,
                                  int64_t dilation, int64_t groups, int64_t gate_fn, bool shared_gate,
                                  bool invert_gate, bool replicate_pad) {
  c10::cuda::CUDAGuard device_guard(input.device());
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const Geometry geo = make_geometry(input, guidance, dilation, replicate_pad);
  const int64_t batch = input.size(0), hw = input.size(2) * input.size(3), step = images_per_chunk(input);
  const int64_t group_rows = input.size(1) / groups * kNumTaps, group_out = output.size(1) / groups;
  const at::ScalarType acc_type = at::toOpMathType(input.scalar_type());
  const Tensor lam_acc = lam.to(acc_type);
  Tensor col = at::empty({step, input.size(1) * kNumTaps, hw}, input.options());
  Tensor gate = shared_gate ? at::empty({step, kNumTaps, hw}, input.options().dtype(acc_type)) : Tensor();
  for (int64_t b0 = 0; b0 < batch; b0 += step) {
    const int64_t n = std::min(step, batch - b0);
    SDC_DISPATCH_FLOATING_TYPES(input.scalar_type(), "sdc_forward_cuda", [&] {
      using acc_t = at::opmath_type<scalar_t>;
      dispatch_gate(gate_fn, [&](auto gate_tag) {
        launch_columns<scalar_t, acc_t, decltype(gate_tag)>(input, guidance, lam_acc.data_ptr<acc_t>(), geo, b0, n,
                                                            shared_gate, invert_gate, gate, col, stream);
      });
    });
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    Tensor out = output.narrow(0, b0, n).view({n, groups, group_out, hw});
    at::matmul_out(out, weight8, col.narrow(0, 0, n).view({n, groups, group_rows, hw}));
  }
}

void SDCBackwardCUDAKernelLauncher(Tensor grad_output, Tensor input, Tensor guidance, Tensor weight8, Tensor lam,
                                   Tensor grad_input, Tensor grad_guidance, Tensor grad_weight8, Tensor grad_lam,
                                   int64_t dilation, int64_t groups, int64_t gate_fn, bool shared_gate,
                                   bool invert_gate, bool replicate_pad) {
  c10::cuda::CUDAGuard device_guard(input.device());
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const Geometry geo = make_geometry(input, guidance, dilation, replicate_pad);
  const int64_t batch = input.size(0), channels = input.size(1), hw = input.size(2) * input.size(3);
  const int64_t step = images_per_chunk(input);
  const int64_t group_rows = channels / groups * kNumTaps, group_out = grad_output.size(1) / groups;
  const at::ScalarType acc_type = at::toOpMathType(input.scalar_type());
  const auto acc_options = input.options().dtype(acc_type);
  const Tensor lam_acc = lam.to(acc_type);
  Tensor col = at::empty({step, channels * kNumTaps, hw}, input.options());
  Tensor tcol = at::empty_like(col);
  Tensor gate = shared_gate ? at::empty({step, kNumTaps, hw}, acc_options) : Tensor();
  Tensor coef = shared_gate ? at::empty({step, kNumTaps, hw}, acc_options) : Tensor();
  // lam-gradient terms: per (image, tap, pixel) for shared gates, per (image, channel, pixel) otherwise.
  Tensor lam_terms = at::empty({step, shared_gate ? kNumTaps : channels, hw}, acc_options);
  Tensor weight_grad = at::zeros(weight8.sizes(), acc_options);
  Tensor lam_grad = at::zeros({}, acc_options);
  for (int64_t b0 = 0; b0 < batch; b0 += step) {
    const int64_t n = std::min(step, batch - b0);
    const Tensor grad = grad_output.narrow(0, b0, n).view({n, groups, group_out, hw});
    SDC_DISPATCH_FLOATING_TYPES(input.scalar_type(), "sdc_backward_cuda_columns", [&] {
      using acc_t = at::opmath_type<scalar_t>;
      dispatch_gate(gate_fn, [&](auto gate_tag) {
        launch_columns<scalar_t, acc_t, decltype(gate_tag)>(input, guidance, lam_acc.data_ptr<acc_t>(), geo, b0, n,
                                                            shared_gate, invert_gate, gate, col, stream);
      });
    });
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    // Each image's dW = G X^T is a GEMM over its H * W pixels; for half/bfloat16 it is written in float32 (cuBLAS
    // accumulates in float32 either way), so that neither the per-image products nor their sum round to 16 bits.
    const Tensor grad_rows = grad.reshape({n * groups, group_out, hw});
    const Tensor columns_t = col.narrow(0, 0, n).view({n * groups, group_rows, hw}).transpose(1, 2);
    const Tensor image_weight_grad = acc_type == input.scalar_type() ? at::bmm(grad_rows, columns_t)
                                                                     : at::bmm(grad_rows, columns_t, acc_type);
    weight_grad.add_(image_weight_grad.view({n, groups, group_out, group_rows}).sum(0));
    Tensor tcolumns = tcol.narrow(0, 0, n).view({n, groups, group_rows, hw});
    at::matmul_out(tcolumns, weight8.transpose(1, 2), grad);
    SDC_DISPATCH_FLOATING_TYPES(input.scalar_type(), "sdc_backward_cuda_gather", [&] {
      using acc_t = at::opmath_type<scalar_t>;
      dispatch_gate(gate_fn, [&](auto gate_tag) {
        using Gate = decltype(gate_tag);
        const scalar_t* u = input.data_ptr<scalar_t>() + b0 * channels * hw;
        const scalar_t* v = guidance.data_ptr<scalar_t>() + b0 * geo.guidance_channels * hw;
        const scalar_t* t = tcol.data_ptr<scalar_t>();
        const acc_t* lam_ptr = lam_acc.data_ptr<acc_t>();
        scalar_t* gu = grad_input.data_ptr<scalar_t>() + b0 * channels * hw;
        scalar_t* gv = grad_guidance.data_ptr<scalar_t>() + b0 * geo.guidance_channels * hw;
        acc_t* gate_ptr = shared_gate ? gate.data_ptr<acc_t>() : nullptr;
        if (shared_gate) {
          const int64_t count = n * kNumTaps * hw;
          mmext::sdc::sdc_shared_coef_kernel<scalar_t, acc_t, Gate>
              <<<GET_BLOCKS(count), THREADS_PER_BLOCK, 0, stream>>>(count, u, v, t, lam_ptr, invert_gate, geo,
                                                                    coef.data_ptr<acc_t>(),
                                                                    lam_terms.data_ptr<acc_t>());
        }
        const int64_t count = n * channels * hw;
        mmext::sdc::sdc_col2im_kernel<scalar_t, acc_t, Gate><<<GET_BLOCKS(count), THREADS_PER_BLOCK, 0, stream>>>(
            count, u, v, gate_ptr, t, lam_ptr, invert_gate, geo, gu, gv, lam_terms.data_ptr<acc_t>());
        if (shared_gate) {
          const int64_t guidance_count = n * geo.guidance_channels * hw;
          mmext::sdc::sdc_col2im_guidance_kernel<scalar_t, acc_t>
              <<<GET_BLOCKS(guidance_count), THREADS_PER_BLOCK, 0, stream>>>(guidance_count, v,
                                                                             coef.data_ptr<acc_t>(), geo, gv);
        }
      });
    });
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    lam_grad.add_(lam_terms.narrow(0, 0, n).sum());
  }
  grad_weight8.copy_(weight_grad);
  grad_lam.copy_(lam_grad);
}
