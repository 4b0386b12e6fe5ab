// Definitions of the semantic difference convolution (SDC) shared by the CPU and CUDA implementations.
//
// Notation (see mmext/ops/sdc.py): U is the input [B, C, H, W], V the guidance [B, Cv, H, W], d the dilation.
// A gate g = f(z) with z = q / lam^2, where q is the squared guidance difference of one channel (per-channel
// gates) or its sum over the guidance channels (shared gates). Every function here compiles for host and device.
#ifndef MMEXT_SDC_COMMON_HPP
#define MMEXT_SDC_COMMON_HPP

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#if defined(__CUDACC__)
#define SDC_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define SDC_HOST_DEVICE inline
#endif

namespace mmext {
namespace sdc {

// The centre tap of the 3x3 window sees U(p) - U(p) == 0, so kernels only visit the other eight taps and the
// weight is packed without its centre column.
constexpr int kNumTaps = 8;

// Row and column offset of non-centre tap k (0..7, row-major over the 3x3 window with the centre skipped).
SDC_HOST_DEVICE int tap_dy(int k, int dilation) { return ((k < 4 ? k : k + 1) / 3 - 1) * dilation; }
SDC_HOST_DEVICE int tap_dx(int k, int dilation) { return ((k < 4 ? k : k + 1) % 3 - 1) * dilation; }

// Gate shapes f(z) and their slopes f'(z), the slope written in terms of f so it costs no second
// transcendental call. Ids match GATE_FNS in mmext/ops/sdc.py.
enum GateFn : int64_t { kCharbonnier = 0, kPmRational = 1, kPmExp = 2, kGaussian = 3 };

struct CharbonnierGate {  // (1 + z)^(-1/2)
  template <typename T>
  SDC_HOST_DEVICE static T value(T z) { return T(1) / std::sqrt(T(1) + z); }
  template <typename T>
  SDC_HOST_DEVICE static T slope(T f) { return T(-0.5) * f * f * f; }
};

struct PmRationalGate {  // 1 / (1 + z)
  template <typename T>
  SDC_HOST_DEVICE static T value(T z) { return T(1) / (T(1) + z); }
  template <typename T>
  SDC_HOST_DEVICE static T slope(T f) { return -f * f; }
};

struct PmExpGate {  // exp(-z)
  template <typename T>
  SDC_HOST_DEVICE static T value(T z) { return std::exp(-z); }
  template <typename T>
  SDC_HOST_DEVICE static T slope(T f) { return -f; }
};

struct GaussianGate {  // exp(-z / 2)
  template <typename T>
  SDC_HOST_DEVICE static T value(T z) { return std::exp(T(-0.5) * z); }
  template <typename T>
  SDC_HOST_DEVICE static T slope(T f) { return T(-0.5) * f; }
};

// Calls fn(GateStruct{}) for the gate id, so kernels are instantiated per gate and the gate inlines.
template <typename Fn>
auto dispatch_gate(int64_t gate_fn, Fn&& fn) {
  switch (gate_fn) {
    case kCharbonnier: return fn(CharbonnierGate{});
    case kPmRational: return fn(PmRationalGate{});
    case kPmExp: return fn(PmExpGate{});
    case kGaussian: return fn(GaussianGate{});
    default:
      throw std::invalid_argument("sdc: gate_fn id must be in 0..3, got " + std::to_string(gate_fn));
  }
}

// lam and invert_gate folded into constants: g = base + sign * f(q * inv_lam2).
template <typename T>
struct GateScale {
  T inv_lam2, inv_lam, base, sign;
  SDC_HOST_DEVICE GateScale(T lam, bool invert)
      : inv_lam2(T(1) / (lam * lam)), inv_lam(T(1) / lam), base(invert ? T(1) : T(0)), sign(invert ? T(-1) : T(1)) {}
};

template <typename Gate, typename T>
SDC_HOST_DEVICE T gate_value(T q, const GateScale<T>& s) {
  return s.base + s.sign * Gate::value(q * s.inv_lam2);
}

// Gate value and its derivatives with respect to q and lam (dg/dlam = -2 z f'(z) / lam).
template <typename Gate, typename T>
SDC_HOST_DEVICE void gate_eval(T q, const GateScale<T>& s, T& g, T& dg_dq, T& dg_dlam) {
  const T z = q * s.inv_lam2;
  const T f = Gate::value(z);
  const T fp = s.sign * Gate::slope(f);
  g = s.base + s.sign * f;
  dg_dq = fp * s.inv_lam2;
  dg_dlam = T(-2) * z * fp * s.inv_lam;
}

}  // namespace sdc
}  // namespace mmext

#endif  // MMEXT_SDC_COMMON_HPP
