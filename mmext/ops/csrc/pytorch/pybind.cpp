// Python bindings of mmext._ext.
#include <torch/extension.h>

using at::Tensor;

void sdc_forward(Tensor input, Tensor guidance, Tensor weight, Tensor lam, Tensor output, int64_t dilation,
                 int64_t groups, int64_t gate_fn, bool shared_gate, bool invert_gate, bool replicate_pad);
void sdc_backward(Tensor grad_output, Tensor input, Tensor guidance, Tensor weight, Tensor lam, Tensor grad_input,
                  Tensor grad_guidance, Tensor grad_weight, Tensor grad_lam, int64_t dilation, int64_t groups,
                  int64_t gate_fn, bool shared_gate, bool invert_gate, bool replicate_pad);

bool with_cuda() {
#ifdef MMEXT_WITH_CUDA
  return true;
#else
  return false;
#endif
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("sdc_forward", &sdc_forward, "semantic difference convolution forward (writes output)", py::arg("input"),
        py::arg("guidance"), py::arg("weight"), py::arg("lam"), py::arg("output"), py::arg("dilation"),
        py::arg("groups"), py::arg("gate_fn"), py::arg("shared_gate"), py::arg("invert_gate"),
        py::arg("replicate_pad"));
  m.def("sdc_backward", &sdc_backward, "semantic difference convolution backward (writes the gradients)",
        py::arg("grad_output"), py::arg("input"), py::arg("guidance"), py::arg("weight"), py::arg("lam"),
        py::arg("grad_input"), py::arg("grad_guidance"), py::arg("grad_weight"), py::arg("grad_lam"),
        py::arg("dilation"), py::arg("groups"), py::arg("gate_fn"), py::arg("shared_gate"), py::arg("invert_gate"),
        py::arg("replicate_pad"));
  m.def("with_cuda", &with_cuda, "whether the CUDA kernels were compiled in");
}
