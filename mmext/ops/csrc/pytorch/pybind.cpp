// Python module mmext._ext. Importing it loads this library, whose TORCH_LIBRARY blocks register the operators
// (torch.ops.mmext.*); the module itself only says how the library was built.
#include <torch/extension.h>

bool with_cuda() {
#ifdef MMEXT_WITH_CUDA
  return true;
#else
  return false;
#endif
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("with_cuda", &with_cuda, "whether the CUDA kernels were compiled in");
}
