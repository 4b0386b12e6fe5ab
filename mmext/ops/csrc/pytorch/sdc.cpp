// Device-agnostic entry points of the semantic difference convolution: argument checks, packing of the weight
// without its centre tap, and dispatch to the implementation registered for the tensors' device.
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

}  // namespace

void sdc_forward(Tensor input, Tensor guidance, Tensor weight, Tensor lam, Tensor output, int64_t dilation,
                 int64_t groups, int64_t gate_fn, bool shared_gate, bool invert_gate, bool replicate_pad) {
  check_args(input, guidance, weight, lam, dilation, groups, gate_fn, shared_gate);
  TORCH_CHECK(output.sizes() == at::IntArrayRef({input.size(0), weight.size(0), input.size(2), input.size(3)}),
              "sdc: output must have shape [B, C_out, H, W], got ", output.sizes());
  if (is_empty(input, output)) {
    output.zero_();
    return;
  }
  sdc_forward_impl(input, guidance, pack_weight(weight, groups), lam, output, dilation, groups, gate_fn, shared_gate,
                   invert_gate, replicate_pad);
}

void sdc_backward(Tensor grad_output, Tensor input, Tensor guidance, Tensor weight, Tensor lam, Tensor grad_input,
                  Tensor grad_guidance, Tensor grad_weight, Tensor grad_lam, int64_t dilation, int64_t groups,
                  int64_t gate_fn, bool shared_gate, bool invert_gate, bool replicate_pad) {
  check_args(input, guidance, weight, lam, dilation, groups, gate_fn, shared_gate);
  TORCH_CHECK(grad_output.sizes() == at::IntArrayRef({input.size(0), weight.size(0), input.size(2), input.size(3)}),
              "sdc: grad_output must have shape [B, C_out, H, W], got ", grad_output.sizes());
  TORCH_CHECK(grad_input.sizes() == input.sizes() && grad_guidance.sizes() == guidance.sizes() &&
                  grad_weight.sizes() == weight.sizes() && grad_lam.sizes() == lam.sizes(),
              "sdc: gradient buffers must have the shapes of input, guidance, weight and lam");
  if (is_empty(input, grad_output)) {
    for (Tensor* grad : {&grad_input, &grad_guidance, &grad_weight, &grad_lam}) grad->zero_();
    return;
  }
  const Tensor weight8 = pack_weight(weight, groups);
  Tensor grad_weight8 = at::zeros_like(weight8);
  sdc_backward_impl(grad_output, input, guidance, weight8, lam, grad_input, grad_guidance, grad_weight8, grad_lam,
                    dilation, groups, gate_fn, shared_gate, invert_gate, replicate_pad);
  // The centre tap never reaches the output, so its gradient is exactly zero.
  grad_weight.zero_();
  grad_weight.view({weight.size(0), weight.size(1), 9})
      .index_copy_(2, non_centre_taps(weight),
                   grad_weight8.view({weight.size(0), weight.size(1), mmext::sdc::kNumTaps}));
}
