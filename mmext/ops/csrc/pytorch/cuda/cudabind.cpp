// Registration of the CUDA implementations (one file for all mmext CUDA ops, as in mmcv).
#include "pytorch_cpp_helper.hpp"
#include "pytorch_device_registry.hpp"
#include "sdc_impl.hpp"

void SDCForwardCUDAKernelLauncher(Tensor input, Tensor guidance, Tensor weight8, Tensor lam, Tensor output,
                                  int64_t dilation, int64_t groups, int64_t gate_fn, bool shared_gate,
                                  bool invert_gate, bool replicate_pad);
void SDCBackwardCUDAKernelLauncher(Tensor grad_output, Tensor input, Tensor guidance, Tensor weight8, Tensor lam,
                                   Tensor grad_input, Tensor grad_guidance, Tensor grad_weight8, Tensor grad_lam,
                                   int64_t dilation, int64_t groups, int64_t gate_fn, bool shared_gate,
                                   bool invert_gate, bool replicate_pad);

namespace {

void sdc_forward_cuda(Tensor input, Tensor guidance, Tensor weight8, Tensor lam, Tensor output, int64_t dilation,
                      int64_t groups, int64_t gate_fn, bool shared_gate, bool invert_gate, bool replicate_pad) {
  CHECK_CUDA_INPUT(input);
  CHECK_CUDA_INPUT(guidance);
  CHECK_CUDA_INPUT(output);
  SDCForwardCUDAKernelLauncher(input, guidance, weight8, lam, output, dilation, groups, gate_fn, shared_gate,
                               invert_gate, replicate_pad);
}

void sdc_backward_cuda(Tensor grad_output, Tensor input, Tensor guidance, Tensor weight8, Tensor lam,
                       Tensor grad_input, Tensor grad_guidance, Tensor grad_weight8, Tensor grad_lam, int64_t dilation,
                       int64_t groups, int64_t gate_fn, bool shared_gate, bool invert_gate, bool replicate_pad) {
  CHECK_CUDA_INPUT(grad_output);
  CHECK_CUDA_INPUT(input);
  CHECK_CUDA_INPUT(guidance);
  CHECK_CUDA_INPUT(grad_input);
  CHECK_CUDA_INPUT(grad_guidance);
  SDCBackwardCUDAKernelLauncher(grad_output, input, guidance, weight8, lam, grad_input, grad_guidance, grad_weight8,
                                grad_lam, dilation, groups, gate_fn, shared_gate, invert_gate, replicate_pad);
}

}  // namespace

REGISTER_DEVICE_IMPL(sdc_forward_impl, CUDA, sdc_forward_cuda);
REGISTER_DEVICE_IMPL(sdc_backward_impl, CUDA, sdc_backward_cuda);
