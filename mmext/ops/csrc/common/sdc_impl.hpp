// Device-dispatched SDC implementations: defined in pytorch/sdc.cpp, registered per device by cpu/sdc.cpp and
// cuda/cudabind.cpp. They take the packed weight [G, O/G, (C/G) * 8] and fill the packed weight gradient.
#ifndef MMEXT_SDC_IMPL_HPP
#define MMEXT_SDC_IMPL_HPP

#include "pytorch_cpp_helper.hpp"

void sdc_forward_impl(Tensor input, Tensor guidance, Tensor weight8, Tensor lam, Tensor output, int64_t dilation,
                      int64_t groups, int64_t gate_fn, bool shared_gate, bool invert_gate, bool replicate_pad);
void sdc_backward_impl(Tensor grad_output, Tensor input, Tensor guidance, Tensor weight8, Tensor lam,
                       Tensor grad_input, Tensor grad_guidance, Tensor grad_weight8, Tensor grad_lam, int64_t dilation,
                       int64_t groups, int64_t gate_fn, bool shared_gate, bool invert_gate, bool replicate_pad);

#endif  // MMEXT_SDC_IMPL_HPP
