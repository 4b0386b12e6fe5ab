// Launch helpers for the CUDA kernels: a grid-stride loop and a capped block count.
#ifndef MMEXT_COMMON_CUDA_HELPER_HPP
#define MMEXT_COMMON_CUDA_HELPER_HPP

#include <cuda.h>

#include <algorithm>
#include <cstdint>

#define CUDA_1D_KERNEL_LOOP(i, n)                                                          \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

constexpr int THREADS_PER_BLOCK = 512;

// The grid-stride loop covers any n, so the grid is capped rather than sized to n.
inline int GET_BLOCKS(int64_t n, int num_threads = THREADS_PER_BLOCK) {
  constexpr int64_t kMaxGridNum = 4096;
  return static_cast<int>(std::min(kMaxGridNum, std::max<int64_t>(1, (n + num_threads - 1) / num_threads)));
}

#endif  // MMEXT_COMMON_CUDA_HELPER_HPP
