// The operator mmext::sdc: argument checks, packing of the weight without its centre tap, and dispatch to the
// implementation registered for the tensors' device.
#include <torch/library.h>

#include <algorithm>
#include <array>
#include <tuple>

#include "pytorch_cpp_helper.hpp"
#include "pytorch_device_registry.hpp"
#include "sdc_common.hpp"
#include "sdc_impl.hpp"

void sdc_forward_impl(Tensor input, Tensor guidance, Tensor weight8, Tensor lam, Tensor output, int64_t dilation,
                      int64_t groups, int64_t gate_fn, bool shared_gate, bool invert_gate, bool replicate_pad) {
  DISPATCH_DEVICE_IMPL(sdc_forward_impl, input, guidance, weight8, lam, output, dilation, groups, gate_fn,
                       shared_gate, invert_gate, replicate_pad);
}

void sdc_backward_impl(Tensor grad_output, Tensor input, Tensor guidance, Tensor weight8, Tensor lam,
                       Tensor grad_input, Tensor grad_guidance, Tensor grad_weight8, Tensor grad_lam, int64_t dilation,
                       int64_t groups, int64_t gate_fn, bool shared_gate, bool invert_gate, bool replicate_pad) {
  DISPATCH_DEVICE_IMPL(sdc_backward_impl, grad_output, input, guidance, weight8, lam, grad_input, grad_guidance,
                       grad_weight8, grad_lam, dilation, groups, gate_fn, shared_gate, invert_gate, replicate_pad);
}

namespace {

void check_args(const Tensor& input, const Tensor& guidance, const Tensor& weight, const Tensor& lam,
                int64_t dilation, int64_t groups, int64_t gate_fn, bool shared_gate) {
  TORCH_CHECK(input.dim() == 4, "sdc: input must have shape [B, C, H, W], got ", input.sizes());
  TORCH_CHECK(guidance.dim() == 4 && guidance.size(0) == input.size(0) && guidance.size(2) == input.size(2) &&
                  guidance.size(3) == input.size(3),
              "sdc: guidance must have shape [B, Cv, H, W] matching input ", input.sizes(), " (resize it first), got ",
              guidance.sizes());
  TORCH_CHECK(shared_gate || guidance.size(1) == input.size(1),
              "sdc: per-channel gates need as many guidance channels as input channels (", input.size(1), "), got ",
              guidance.size(1), "; use shared gates or project the guidance");
  TORCH_CHECK(groups >= 1 && input.size(1) % groups == 0 && weight.size(0) % groups == 0,
              "sdc: groups=", groups, " must divide the input channels (", input.size(1), ") and output channels (",
              weight.size(0), ")");
  TORCH_CHECK(weight.dim() == 4 && weight.size(1) == input.size(1) / groups && weight.size(2) == 3 &&
                  weight.size(3) == 3,
              "sdc: weight must have shape [C_out, C_in / groups, 3, 3] = [C_out, ", input.size(1) / groups,
              ", 3, 3], got ", weight.sizes());
  TORCH_CHECK(lam.numel() == 1, "sdc: lam must hold one value, got shape ", lam.sizes());
  // lam keeps its own precision whatever the input dtype (the kernels read it into their accumulation type).
  TORCH_CHECK(lam.scalar_type() == at::kFloat || lam.scalar_type() == at::kDouble,
              "sdc: lam must be a float32 or float64 tensor, got ", lam.scalar_type());
  TORCH_CHECK(dilation >= 1, "sdc: dilation must be >= 1, got ", dilation);
  TORCH_CHECK(gate_fn >= mmext::sdc::kCharbonnier && gate_fn <= mmext::sdc::kGaussian,
              "sdc: gate_fn id must be in 0..3, got ", gate_fn);
  TORCH_CHECK(at::isFloatingType(input.scalar_type()), "sdc: input must be a floating-point tensor, got ",
              input.scalar_type());
  for (const Tensor* t : {&guidance, &weight}) {
    TORCH_CHECK(t->scalar_type() == input.scalar_type(), "sdc: guidance and weight must have the dtype of input (",
                input.scalar_type(), "), got ", t->scalar_type());
  }
}

// An empty input (B, C_in, H or W = 0) or output (C_out = 0) sums over nothing: the kernels' tiling divides by
// these sizes, so such calls return here.
bool is_empty(const Tensor& input, const Tensor& output) { return input.numel() == 0 || output.numel() == 0; }

Tensor non_centre_taps(const Tensor& like) {
  return at::tensor({0, 1, 2, 3, 5, 6, 7, 8}, like.options().dtype(at::kLong));
}

Tensor pack_weight(const Tensor& weight, int64_t groups) {
  const int64_t out_channels = weight.size(0), group_in = weight.size(1);
  return weight.reshape({out_channels, group_in, 9})
      .index_select(2, non_centre_taps(weight))
      .reshape({groups, out_channels / groups, group_in * mmext::sdc::kNumTaps});
}

// The CPU kernels are compiled for float32 and float64: fp16/bf16 tensors are computed in float32 there and the
// results rounded back. The CUDA kernels take every floating type (with float32 gates and accumulation).
at::ScalarType kernel_dtype(const Tensor& input) {
  const at::ScalarType dtype = input.scalar_type();
  return input.is_cpu() && dtype != at::kFloat && dtype != at::kDouble ? at::kFloat : dtype;
}

// Options of the op as the kernels take them. The schema spells them as in the Python API (strings), so that
// exported graphs and ONNX custom nodes are readable.
struct Options {
  int64_t dilation, groups, gate_fn;
  bool shared_gate, invert_gate, replicate_pad;
};

Options parse_options(int64_t dilation, int64_t groups, c10::string_view gate_fn, c10::string_view guidance,
                      bool invert_gate, c10::string_view padding_mode) {
  constexpr std::array<c10::string_view, 4> gate_names = {"charbonnier", "pm_rational", "pm_exp", "gaussian"};
  const auto gate = std::find(gate_names.begin(), gate_names.end(), gate_fn);
  TORCH_CHECK(gate != gate_names.end(), "sdc: gate_fn must be one of charbonnier, pm_rational, pm_exp, gaussian, got '",
              gate_fn, "'");
  TORCH_CHECK(guidance == "per_channel" || guidance == "shared",
              "sdc: guidance must be 'per_channel' or 'shared', got '", guidance, "'");
  TORCH_CHECK(padding_mode == "zeros" || padding_mode == "replicate",
              "sdc: padding_mode must be 'zeros' or 'replicate', got '", padding_mode, "'");
  return {dilation, groups, gate - gate_names.begin(), guidance == "shared", invert_gate, padding_mode == "replicate"};
}

}  // namespace

Tensor sdc(const Tensor& u, const Tensor& v, const Tensor& weight, const Tensor& lam, int64_t dilation, int64_t groups,
           c10::string_view gate_fn, c10::string_view guidance, bool invert_gate, c10::string_view padding_mode) {
  const Options opt = parse_options(dilation, groups, gate_fn, guidance, invert_gate, padding_mode);
  check_args(u, v, weight, lam, opt.dilation, opt.groups, opt.gate_fn, opt.shared_gate);
  const at::ScalarType dtype = kernel_dtype(u);
  const Tensor input = u.to(dtype).contiguous(), guide = v.to(dtype).contiguous();
  Tensor output = at::empty({input.size(0), weight.size(0), input.size(2), input.size(3)}, input.options());
  if (is_empty(input, output)) {
    output.zero_();
  } else {
    sdc_forward_impl(input, guide, pack_weight(weight.to(dtype), opt.groups), lam, output, opt.dilation, opt.groups,
                     opt.gate_fn, opt.shared_gate, opt.invert_gate, opt.replicate_pad);
  }
  return output.to(u.scalar_type());
}

std::tuple<Tensor, Tensor, Tensor, Tensor> sdc_backward(const Tensor& grad_output, const Tensor& u, const Tensor& v,
                                                        const Tensor& weight, const Tensor& lam, int64_t dilation,
                                                        int64_t groups, c10::string_view gate_fn,
                                                        c10::string_view guidance, bool invert_gate,
                                                        c10::string_view padding_mode) {
  const Options opt = parse_options(dilation, groups, gate_fn, guidance, invert_gate, padding_mode);
  check_args(u, v, weight, lam, opt.dilation, opt.groups, opt.gate_fn, opt.shared_gate);
  TORCH_CHECK(grad_output.sizes() == at::IntArrayRef({u.size(0), weight.size(0), u.size(2), u.size(3)}),
              "sdc: grad_output must have shape [B, C_out, H, W], got ", grad_output.sizes());
  const at::ScalarType dtype = kernel_dtype(u);
  const Tensor input = u.to(dtype).contiguous(), guide = v.to(dtype).contiguous();
  const Tensor grad = grad_output.to(dtype).contiguous();
  Tensor grad_input = at::empty(input.sizes(), input.options());
  Tensor grad_guidance = at::empty(guide.sizes(), guide.options());
  Tensor grad_weight = at::zeros(weight.sizes(), input.options());
  Tensor grad_lam = at::empty(lam.sizes(), lam.options());
  if (is_empty(input, grad)) {
    for (Tensor* g : {&grad_input, &grad_guidance, &grad_lam}) g->zero_();
  } else {
    const Tensor weight8 = pack_weight(weight.to(dtype), opt.groups);
    Tensor grad_weight8 = at::zeros_like(weight8);
    sdc_backward_impl(grad, input, guide, weight8, lam, grad_input, grad_guidance, grad_weight8, grad_lam,
                      opt.dilation, opt.groups, opt.gate_fn, opt.shared_gate, opt.invert_gate, opt.replicate_pad);
    // The centre tap never reaches the output, so its gradient stays exactly zero.
    grad_weight.view({weight.size(0), weight.size(1), 9})
        .index_copy_(2, non_centre_taps(weight),
                     grad_weight8.view({weight.size(0), weight.size(1), mmext::sdc::kNumTaps}));
  }
  return {grad_input.to(u.scalar_type()), grad_guidance.to(v.scalar_type()), grad_weight.to(weight.scalar_type()),
          grad_lam};
}

// The operator mmext::sdc (and its backward), registered with the dispatcher so that torch.compile, torch.export
// and TorchScript see one op. Its fake (meta) implementation, autograd formula and autocast rule are registered
// from Python by mmext.ops.sdc, which set_python_module names so that a missing import is reported.
TORCH_LIBRARY(mmext, m) {
  m.set_python_module("mmext.ops.sdc");
  m.def(
      "sdc(Tensor u, Tensor v, Tensor weight, Tensor lam, int dilation=1, int groups=1, str gate_fn='charbonnier', "
      "str guidance='per_channel', bool invert_gate=False, str padding_mode='zeros') -> Tensor");
  m.def(
      "sdc_backward(Tensor grad_output, Tensor u, Tensor v, Tensor weight, Tensor lam, int dilation, int groups, "
      "str gate_fn, str guidance, bool invert_gate, str padding_mode) -> (Tensor, Tensor, Tensor, Tensor)");
}

// One kernel for both devices: sdc_forward_impl / sdc_backward_impl dispatch to the device's implementation.
TORCH_LIBRARY_IMPL(mmext, CPU, m) {
  m.impl("sdc", &sdc);
  m.impl("sdc_backward", &sdc_backward);
}

#ifdef MMEXT_WITH_CUDA
TORCH_LIBRARY_IMPL(mmext, CUDA, m) {
  m.impl("sdc", &sdc);
  m.impl("sdc_backward", &sdc_backward);
}
#endif
