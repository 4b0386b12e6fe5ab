// Input checks shared by the op entry points and the device implementations.
#ifndef MMEXT_PYTORCH_CPP_HELPER_HPP
#define MMEXT_PYTORCH_CPP_HELPER_HPP

#include <ATen/ATen.h>

using at::Tensor;

#define CHECK_CUDA(x) TORCH_CHECK((x).device().is_cuda(), #x " must be a CUDA tensor, got ", (x).device())
#define CHECK_CPU(x) TORCH_CHECK((x).device().is_cpu(), #x " must be a CPU tensor, got ", (x).device())
#define CHECK_CONTIGUOUS(x) TORCH_CHECK((x).is_contiguous(), #x " must be contiguous (call .contiguous())")
#define CHECK_CUDA_INPUT(x) \
  CHECK_CUDA(x);            \
  CHECK_CONTIGUOUS(x)
#define CHECK_CPU_INPUT(x) \
  CHECK_CPU(x);            \
  CHECK_CONTIGUOUS(x)

#endif  // MMEXT_PYTORCH_CPP_HELPER_HPP
