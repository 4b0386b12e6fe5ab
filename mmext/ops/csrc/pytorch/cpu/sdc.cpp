// CPU implementation of the semantic difference convolution.
//
// Work is split into bands of image rows, one parallel region per call; each thread walks its bands in tiles of
// P pixels. For a tile, the gated differences X = S * dU are written into a column buffer [C * 8, P] (row
// c * 8 + k; the centre tap is skipped because its difference is zero) and the output tile is one batched GEMM
// with the packed weight [G, O/G, (C/G) * 8]. Columns stay in cache and memory stays O(threads * C * 8 * P)
// instead of the O(B * C * 9 * H * W) of the unfolded reference.
//
// The backward pass recomputes the columns per tile (for dW), gets T = W^T G by GEMM and scatters T * S (and,
// for dV, T * dU * dS/ddV) back to the input pixels. Scatters that cross the band border go to rows owned by
// the neighbouring band, so they land in a private halo that is added after the parallel region: no atomics,
// and per-band partial sums keep the result independent of thread scheduling. Inner loops run along image rows
// on shifted copies of the neighbour rows, which keeps them branch-free and vectorisable.
#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

#include "pytorch_cpp_helper.hpp"
#include "pytorch_device_registry.hpp"
#include "sdc_common.hpp"
#include "sdc_impl.hpp"

namespace {

using mmext::sdc::gate_eval;
using mmext::sdc::gate_value;
using mmext::sdc::GateScale;
using mmext::sdc::kNumTaps;
using mmext::sdc::tap_dx;
using mmext::sdc::tap_dy;

// Column elements per tile: ~1 MB of fp32 columns fits in L2 while each GEMM stays large enough for BLAS.
constexpr int64_t kTileElements = int64_t(1) << 18;
// Below this many column elements per thread a parallel region costs more than it saves.
constexpr int64_t kMinParallelElements = int64_t(1) << 15;

struct Geometry {
  int64_t batch, channels, guidance_channels, height, width, out_channels, groups, dilation;
  bool replicate;
  int64_t hw() const { return height * width; }
  // Row read by row y at vertical offset dy, or -1 if it is zero padding.
  int64_t source_row(int64_t y, int dy) const {
    const int64_t ny = y + dy;
    if (ny >= 0 && ny < height) return ny;
    return replicate ? std::clamp<int64_t>(ny, 0, height - 1) : -1;
  }
};

// out[x] = plane[y + dy, x + dx] for x in [0, W), with the padding rule outside the image.
template <typename T>
void load_shifted_row(const T* plane, int64_t y, int dy, int dx, const Geometry& geo, T* out) {
  const int64_t width = geo.width, ny = geo.source_row(y, dy);
  if (ny < 0) {
    std::fill(out, out + width, T(0));
    return;
  }
  const T* row = plane + ny * width;
  // x in [lo, hi) has its neighbour x + dx inside the row.
  const int64_t lo = std::clamp<int64_t>(-dx, 0, width), hi = std::clamp<int64_t>(width - dx, 0, width);
  std::copy(row + lo + dx, row + hi + dx, out + lo);
  for (int64_t x = 0; x < lo; ++x) out[x] = geo.replicate ? row[0] : T(0);
  for (int64_t x = hi; x < width; ++x) out[x] = geo.replicate ? row[width - 1] : T(0);
}

// row[x + dx] += in[x]: the adjoint of load_shifted_row along a row (reads of the padding go to the border
// pixel under replicate padding and are dropped under zero padding).
template <typename T>
void add_shifted_row(T* __restrict__ row, int dx, const Geometry& geo, const T* __restrict__ in) {
  const int64_t width = geo.width;
  const int64_t lo = std::clamp<int64_t>(-dx, 0, width), hi = std::clamp<int64_t>(width - dx, 0, width);
  for (int64_t x = lo; x < hi; ++x) row[x + dx] += in[x];
  if (geo.replicate) {
    for (int64_t x = 0; x < lo; ++x) row[0] += in[x];
    for (int64_t x = hi; x < width; ++x) row[width - 1] += in[x];
  }
}

template <typename T>
void subtract_row(T* __restrict__ row, const T* __restrict__ in, int64_t width) {
  for (int64_t x = 0; x < width; ++x) row[x] -= in[x];
}

// Row kernels. `*_nb` are shifted neighbour rows from load_shifted_row, `u`/`v` the rows themselves; free
// functions with restrict pointers so that the compiler vectorises them.

// out = g(dV^2) * dU (per-channel gates).
template <typename T, typename Gate>
void gated_diff_row(int64_t n, const T* __restrict__ u_nb, const T* __restrict__ u, const T* __restrict__ v_nb,
                    const T* __restrict__ v, const GateScale<T> scale, T* __restrict__ out) {
  for (int64_t x = 0; x < n; ++x) {
    const T dv = v_nb[x] - v[x];
    out[x] = gate_value<Gate>(dv * dv, scale) * (u_nb[x] - u[x]);
  }
}

// out = s * dU (shared gates).
template <typename T>
void scaled_diff_row(int64_t n, const T* __restrict__ u_nb, const T* __restrict__ u, const T* __restrict__ s,
                     T* __restrict__ out) {
  for (int64_t x = 0; x < n; ++x) out[x] = s[x] * (u_nb[x] - u[x]);
}

// sum += dV^2.
template <typename T>
void add_sq_diff_row(int64_t n, const T* __restrict__ v_nb, const T* __restrict__ v, T* __restrict__ sum) {
  for (int64_t x = 0; x < n; ++x) {
    const T dv = v_nb[x] - v[x];
    sum[x] += dv * dv;
  }
}

// Per-channel backward of one row of one tap: columns X = g dU, to_u = T g, to_v = 2 T dU dV dg/dq and
// lam_terms = T dU dg/dlam.
template <typename T, typename Gate>
void per_channel_backward_row(int64_t n, const T* __restrict__ u_nb, const T* __restrict__ u,
                              const T* __restrict__ v_nb, const T* __restrict__ v, const T* __restrict__ t,
                              const GateScale<T> scale, T* __restrict__ col, T* __restrict__ to_u,
                              T* __restrict__ to_v, T* __restrict__ lam_terms) {
  for (int64_t x = 0; x < n; ++x) {
    const T du = u_nb[x] - u[x], dv = v_nb[x] - v[x];
    T g, dg_dq, dg_dlam;
    gate_eval<Gate>(dv * dv, scale, g, dg_dq, dg_dlam);
    const T t_du = t[x] * du;
    col[x] = g * du;
    to_u[x] = t[x] * g;
    to_v[x] = T(2) * t_du * dv * dg_dq;
    lam_terms[x] = t_du * dg_dlam;
  }
}

// Shared-gate backward of one row of one tap: X = s dU, to_u = T s, and T is replaced by T dU.
template <typename T>
void shared_backward_row(int64_t n, const T* __restrict__ u_nb, const T* __restrict__ u, const T* __restrict__ s,
                         T* __restrict__ t, T* __restrict__ col, T* __restrict__ to_u) {
  for (int64_t x = 0; x < n; ++x) {
    const T du = u_nb[x] - u[x];
    col[x] = s[x] * du;
    to_u[x] = t[x] * s[x];
    t[x] *= du;
  }
}

// Rows [y0, y1) of image b.
struct Rows {
  int64_t b, y0, y1;
};

// Gradient planes of one band: rows of the band are written in place; the `dilation` rows above and below it
// belong to other bands and go to a private halo [planes, 2 * dilation, W] (a tensor, so that memory profilers
// see it like the rest of the op's buffers).
template <typename T>
class BandSink {
 public:
  BandSink(T* planes, int64_t num_planes, const Rows& band, const Geometry& geo, const at::TensorOptions& options)
      : planes_(planes),
        band_(band),
        geo_(geo),
        halo_(at::zeros({num_planes * 2 * geo.dilation * geo.width}, options)),
        halo_data_(halo_.data_ptr<T>()) {}

  T* row(int64_t plane, int64_t y) {
    if (y >= band_.y0 && y < band_.y1) return planes_ + (plane * geo_.height + y) * geo_.width;
    const int64_t halo_row = y < band_.y0 ? y - (band_.y0 - geo_.dilation) : geo_.dilation + y - band_.y1;
    return halo_data_ + (plane * 2 * geo_.dilation + halo_row) * geo_.width;
  }

  // Adds the halo into the planes; called after the parallel region.
  void flush(int64_t num_planes) {
    for (int64_t plane = 0; plane < num_planes; ++plane) {
      for (int64_t i = 0; i < 2 * geo_.dilation; ++i) {
        const int64_t y = i < geo_.dilation ? band_.y0 - geo_.dilation + i : band_.y1 + i - geo_.dilation;
        if (y < 0 || y >= geo_.height) continue;  // never written: padding is dropped or clamped
        const T* src = halo_data_ + (plane * 2 * geo_.dilation + i) * geo_.width;
        T* dst = planes_ + (plane * geo_.height + y) * geo_.width;
        for (int64_t x = 0; x < geo_.width; ++x) dst[x] += src[x];
      }
    }
  }

 private:
  T* planes_;
  Rows band_;
  const Geometry& geo_;
  Tensor halo_;
  T* halo_data_;
};

template <typename scalar_t, typename Gate>
class SdcCpu {
 public:
  SdcCpu(const Tensor& input, const Tensor& guidance, const Tensor& weight8, const Tensor& lam, int64_t dilation,
         int64_t groups, bool shared_gate, bool invert_gate, bool replicate_pad)
      : input_(input),
        guidance_(guidance),
        weight8_(weight8),
        geo_{input.size(0), input.size(1), guidance.size(1), input.size(2), input.size(3),
             weight8.size(0) * weight8.size(1), groups, dilation, replicate_pad},
        shared_(shared_gate),
        scale_(static_cast<scalar_t>(lam.item<double>()), invert_gate),
        tile_rows_(std::clamp<int64_t>(kTileElements / (geo_.channels * kNumTaps * geo_.width), 1, geo_.height)) {
    // About two bands per thread balance the load without shrinking bands much below a tile.
    const int64_t per_image = (2 * at::get_num_threads() + geo_.batch - 1) / geo_.batch;
    band_rows_ = (geo_.height + std::min(per_image, geo_.height) - 1) / std::min(per_image, geo_.height);
    grain_ = std::max<int64_t>(1, kMinParallelElements / (geo_.channels * kNumTaps * band_rows_ * geo_.width));
    for (int64_t b = 0; b < geo_.batch; ++b) {
      for (int64_t y0 = 0; y0 < geo_.height; y0 += band_rows_) {
        bands_.push_back({b, y0, std::min(y0 + band_rows_, geo_.height)});
      }
    }
  }

  void forward(Tensor output) {
    at::parallel_for(0, num_bands(), grain_, [&](int64_t begin, int64_t end) {
      Workspace ws(*this, /*backward=*/false);
      for (int64_t i = begin; i < end; ++i) {
        for_each_tile(bands_[i], [&](const Rows& tile) {
          if (shared_) shared_gates(tile, ws);
          for (int64_t c = 0; c < geo_.channels; ++c) write_columns(tile, c, ws);
          Tensor out_tile = output_tile(output, tile);
          at::bmm_out(out_tile, weight8_, ws.columns(tile));
        });
      }
    });
  }

  void backward(const Tensor& grad_output, Tensor grad_input, Tensor grad_guidance, Tensor grad_weight8,
                Tensor grad_lam) {
    grad_input.zero_();
    grad_guidance.zero_();
    std::vector<BandSink<scalar_t>> sinks_u, sinks_v;
    for (const Rows& band : bands_) {
      sinks_u.emplace_back(grad_input.data_ptr<scalar_t>() + band.b * geo_.channels * geo_.hw(), geo_.channels,
                           band, geo_, input_.options());
      sinks_v.emplace_back(grad_guidance.data_ptr<scalar_t>() + band.b * geo_.guidance_channels * geo_.hw(),
                           geo_.guidance_channels, band, geo_, input_.options());
    }
    std::vector<Tensor> weight_partial(num_bands());
    std::vector<double> lam_partial(num_bands(), 0.0);
    at::parallel_for(0, num_bands(), grain_, [&](int64_t begin, int64_t end) {
      Workspace ws(*this, /*backward=*/true);
      for (int64_t i = begin; i < end; ++i) {
        weight_partial[i] = at::zeros_like(grad_weight8);
        for_each_tile(bands_[i], [&](const Rows& tile) {
          const Tensor grad_tile = output_tile(grad_output, tile);
          Tensor tcol = ws.tcolumns(tile);
          at::bmm_out(tcol, weight8_.transpose(1, 2), grad_tile);
          if (shared_) shared_gates(tile, ws);
          for (int64_t c = 0; c < geo_.channels; ++c) {
            backward_channel(tile, c, ws, sinks_u[i], sinks_v[i], lam_partial[i]);
          }
          weight_partial[i].baddbmm_(grad_tile, ws.columns(tile).transpose(1, 2));
          if (shared_) lam_partial[i] += shared_guidance_grad(tile, ws, sinks_v[i]);
        });
      }
    });
    double lam_grad = 0.0;
    for (int64_t i = 0; i < num_bands(); ++i) {
      sinks_u[i].flush(geo_.channels);
      sinks_v[i].flush(geo_.guidance_channels);
      grad_weight8.add_(weight_partial[i]);
      lam_grad += lam_partial[i];
    }
    grad_lam.fill_(lam_grad);
  }

 private:
  // Per-thread buffers for one tile of at most tile_rows_ rows.
  struct Workspace {
    Workspace(const SdcCpu& op, bool backward)
        : op(op),
          col(at::empty({op.geo_.channels * kNumTaps * op.tile_rows_ * op.geo_.width}, op.input_.options())),
          tcol(backward ? at::empty_like(col) : Tensor()),
          gate_buffer(at::empty({op.shared_ ? (backward ? 3 : 1) * kNumTaps * op.tile_rows_ * op.geo_.width : 0},
                                op.input_.options())),
          gate(gate_buffer.data_ptr<scalar_t>()),
          gate_slope(op.shared_ && backward ? gate + kNumTaps * op.tile_rows_ * op.geo_.width : nullptr),
          gate_lam_slope(gate_slope ? gate_slope + kNumTaps * op.tile_rows_ * op.geo_.width : nullptr),
          scratch(5 * op.geo_.width) {}

    // The first C * 8 * P elements of a buffer as the contiguous GEMM operand [G, (C/G) * 8, P].
    Tensor view(const Tensor& buffer, const Rows& tile) const {
      const int64_t pixels = (tile.y1 - tile.y0) * op.geo_.width;
      return buffer.narrow(0, 0, op.geo_.channels * kNumTaps * pixels)
          .view({op.geo_.groups, op.geo_.channels / op.geo_.groups * kNumTaps, pixels});
    }
    Tensor columns(const Rows& tile) const { return view(col, tile); }
    Tensor tcolumns(const Rows& tile) const { return view(tcol, tile); }

    const SdcCpu& op;
    Tensor col, tcol;  // X and T = W^T G, [C * 8, P]
    Tensor gate_buffer;
    scalar_t *gate, *gate_slope, *gate_lam_slope;  // shared S, dS/ds, dS/dlam, [8, P] each (slopes: backward only)
    std::vector<scalar_t> scratch;                 // five rows of W
  };

  int64_t num_bands() const { return static_cast<int64_t>(bands_.size()); }

  template <typename Fn>
  void for_each_tile(const Rows& band, Fn&& fn) const {
    for (int64_t y0 = band.y0; y0 < band.y1; y0 += tile_rows_) fn(Rows{band.b, y0, std::min(y0 + tile_rows_, band.y1)});
  }

  const scalar_t* input_plane(int64_t b, int64_t c) const {
    return input_.data_ptr<scalar_t>() + (b * geo_.channels + c) * geo_.hw();
  }
  const scalar_t* guidance_plane(int64_t b, int64_t c) const {
    return guidance_.data_ptr<scalar_t>() + (b * geo_.guidance_channels + c) * geo_.hw();
  }

  // [G, O/G, P] view of an output-shaped tensor [B, O, H, W] at the tile (strided: BLAS reads it in place).
  Tensor output_tile(const Tensor& out, const Rows& tile) const {
    return out[tile.b]
        .view({geo_.groups, geo_.out_channels / geo_.groups, geo_.hw()})
        .narrow(2, tile.y0 * geo_.width, (tile.y1 - tile.y0) * geo_.width);
  }

  // Shared gates S [8, P] of the tile (and dS/ds, dS/dlam in the backward pass).
  void shared_gates(const Rows& tile, Workspace& ws) const {
    const int64_t width = geo_.width, pixels = (tile.y1 - tile.y0) * width;
    scalar_t* v_nb = ws.scratch.data();
    for (int k = 0; k < kNumTaps; ++k) {
      const int dy = tap_dy(k, geo_.dilation), dx = tap_dx(k, geo_.dilation);
      for (int64_t y = tile.y0; y < tile.y1; ++y) {
        const int64_t offset = k * pixels + (y - tile.y0) * width;
        scalar_t* s = ws.gate + offset;
        std::fill(s, s + width, scalar_t(0));
        for (int64_t cv = 0; cv < geo_.guidance_channels; ++cv) {
          const scalar_t* v = guidance_plane(tile.b, cv);
          load_shifted_row(v, y, dy, dx, geo_, v_nb);
          add_sq_diff_row(width, v_nb, v + y * width, s);
        }
        if (ws.gate_slope == nullptr) {
          for (int64_t x = 0; x < width; ++x) s[x] = gate_value<Gate>(s[x], scale_);
        } else {
          scalar_t* slope = ws.gate_slope + offset;
          scalar_t* lam_slope = ws.gate_lam_slope + offset;
          for (int64_t x = 0; x < width; ++x) gate_eval<Gate>(s[x], scale_, s[x], slope[x], lam_slope[x]);
        }
      }
    }
  }

  // Columns X = S * dU of channel c for the tile.
  void write_columns(const Rows& tile, int64_t c, Workspace& ws) const {
    const int64_t width = geo_.width, pixels = (tile.y1 - tile.y0) * width;
    scalar_t* u_nb = ws.scratch.data();
    scalar_t* v_nb = ws.scratch.data() + width;
    const scalar_t* u = input_plane(tile.b, c);
    const scalar_t* v = shared_ ? nullptr : guidance_plane(tile.b, c);
    for (int k = 0; k < kNumTaps; ++k) {
      const int dy = tap_dy(k, geo_.dilation), dx = tap_dx(k, geo_.dilation);
      for (int64_t y = tile.y0; y < tile.y1; ++y) {
        const int64_t offset = (y - tile.y0) * width;
        scalar_t* out = ws.col.template data_ptr<scalar_t>() + (c * kNumTaps + k) * pixels + offset;
        load_shifted_row(u, y, dy, dx, geo_, u_nb);
        if (shared_) {
          scaled_diff_row(width, u_nb, u + y * width, ws.gate + k * pixels + offset, out);
        } else {
          load_shifted_row(v, y, dy, dx, geo_, v_nb);
          gated_diff_row<scalar_t, Gate>(width, u_nb, u + y * width, v_nb, v + y * width, scale_, out);
        }
      }
    }
  }

  // Scatters contrib (one row of taps (dy, dx) at row y) into `plane` of a sink: minus at the pixels themselves,
  // plus at the neighbours they read.
  template <typename Sink>
  void scatter_row(Sink& sink, int64_t plane, int64_t y, int dy, int dx, const scalar_t* contrib) const {
    subtract_row(sink.row(plane, y), contrib, geo_.width);
    const int64_t ny = geo_.source_row(y, dy);
    if (ny >= 0) add_shifted_row(sink.row(plane, ny), dx, geo_, contrib);
  }

  // Backward of channel c for the tile: rewrites its columns (for dW) and scatters T * S into dU; per-channel
  // gates also scatter T * dU * dS/ddV into dV and add T * dU * dS/dlam to lam_grad. For shared gates T is
  // overwritten by T * dU, which shared_guidance_grad sums over channels.
  void backward_channel(const Rows& tile, int64_t c, Workspace& ws, BandSink<scalar_t>& sink_u,
                        BandSink<scalar_t>& sink_v, double& lam_grad) const {
    const int64_t width = geo_.width, pixels = (tile.y1 - tile.y0) * width;
    scalar_t* u_nb = ws.scratch.data();
    scalar_t* v_nb = ws.scratch.data() + width;
    scalar_t* to_u = ws.scratch.data() + 2 * width;
    scalar_t* to_v = ws.scratch.data() + 3 * width;
    scalar_t* lam_terms = ws.scratch.data() + 4 * width;
    const scalar_t* u = input_plane(tile.b, c);
    const scalar_t* v = shared_ ? nullptr : guidance_plane(tile.b, c);
    double lam_sum = 0.0;
    for (int k = 0; k < kNumTaps; ++k) {
      const int dy = tap_dy(k, geo_.dilation), dx = tap_dx(k, geo_.dilation);
      for (int64_t y = tile.y0; y < tile.y1; ++y) {
        const int64_t offset = (y - tile.y0) * width, col_offset = (c * kNumTaps + k) * pixels + offset;
        scalar_t* col = ws.col.template data_ptr<scalar_t>() + col_offset;
        scalar_t* t = ws.tcol.template data_ptr<scalar_t>() + col_offset;
        load_shifted_row(u, y, dy, dx, geo_, u_nb);
        if (shared_) {
          shared_backward_row(width, u_nb, u + y * width, ws.gate + k * pixels + offset, t, col, to_u);
        } else {
          load_shifted_row(v, y, dy, dx, geo_, v_nb);
          per_channel_backward_row<scalar_t, Gate>(width, u_nb, u + y * width, v_nb, v + y * width, t, scale_, col,
                                                   to_u, to_v, lam_terms);
          for (int64_t x = 0; x < width; ++x) lam_sum += lam_terms[x];
          scatter_row(sink_v, c, y, dy, dx, to_v);
        }
        scatter_row(sink_u, c, y, dy, dx, to_u);
      }
    }
    lam_grad += lam_sum;
  }

  // Shared-gate dV for the tile from T * dU (left in ws.tcol by backward_channel): with Q = sum_c T * dU,
  // R[cv, k, p] = 2 Q dS/ds dV[cv, k, p] is scattered like T * S. Returns the tile's lam gradient.
  double shared_guidance_grad(const Rows& tile, Workspace& ws, BandSink<scalar_t>& sink_v) const {
    const int64_t width = geo_.width, pixels = (tile.y1 - tile.y0) * width;
    const Tensor q = ws.tcol.narrow(0, 0, geo_.channels * kNumTaps * pixels)
                         .view({geo_.channels, kNumTaps * pixels})
                         .sum(0);
    const scalar_t* q_ptr = q.template data_ptr<scalar_t>();
    scalar_t* factor = ws.gate_slope;  // becomes the dV factor 2 Q dS/ds
    double lam_grad = 0.0;
    for (int64_t i = 0; i < kNumTaps * pixels; ++i) {
      lam_grad += static_cast<double>(q_ptr[i] * ws.gate_lam_slope[i]);
      factor[i] *= scalar_t(2) * q_ptr[i];
    }
    scalar_t* v_nb = ws.scratch.data();
    scalar_t* to_v = ws.scratch.data() + width;
    for (int64_t cv = 0; cv < geo_.guidance_channels; ++cv) {
      const scalar_t* v = guidance_plane(tile.b, cv);
      for (int k = 0; k < kNumTaps; ++k) {
        const int dy = tap_dy(k, geo_.dilation), dx = tap_dx(k, geo_.dilation);
        for (int64_t y = tile.y0; y < tile.y1; ++y) {
          load_shifted_row(v, y, dy, dx, geo_, v_nb);
          scaled_diff_row(width, v_nb, v + y * width, factor + k * pixels + (y - tile.y0) * width, to_v);
          scatter_row(sink_v, cv, y, dy, dx, to_v);
        }
      }
    }
    return lam_grad;
  }

  const Tensor input_, guidance_, weight8_;
  const Geometry geo_;
  const bool shared_;
  const GateScale<scalar_t> scale_;
  const int64_t tile_rows_;
  int64_t band_rows_;
  int64_t grain_;  // bands per thread at least, so that small problems run serially
  std::vector<Rows> bands_;
};

}  // namespace

namespace {

template <typename Fn>
void dispatch(const Tensor& input, int64_t gate_fn, Fn&& fn) {
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "sdc_cpu", [&] {
    mmext::sdc::dispatch_gate(gate_fn, [&](auto gate) { fn(scalar_t{}, gate); });
  });
}

void sdc_forward_cpu(Tensor input, Tensor guidance, Tensor weight8, Tensor lam, Tensor output, int64_t dilation,
                     int64_t groups, int64_t gate_fn, bool shared_gate, bool invert_gate, bool replicate_pad) {
  CHECK_CPU_INPUT(input);
  CHECK_CPU_INPUT(guidance);
  CHECK_CPU_INPUT(output);
  dispatch(input, gate_fn, [&](auto scalar, auto gate) {
    SdcCpu<decltype(scalar), decltype(gate)>(input, guidance, weight8, lam, dilation, groups, shared_gate,
                                             invert_gate, replicate_pad)
        .forward(output);
  });
}

void sdc_backward_cpu(Tensor grad_output, Tensor input, Tensor guidance, Tensor weight8, Tensor lam,
                      Tensor grad_input, Tensor grad_guidance, Tensor grad_weight8, Tensor grad_lam, int64_t dilation,
                      int64_t groups, int64_t gate_fn, bool shared_gate, bool invert_gate, bool replicate_pad) {
  CHECK_CPU_INPUT(grad_output);
  CHECK_CPU_INPUT(input);
  CHECK_CPU_INPUT(guidance);
  CHECK_CPU_INPUT(grad_input);
  CHECK_CPU_INPUT(grad_guidance);
  dispatch(input, gate_fn, [&](auto scalar, auto gate) {
    SdcCpu<decltype(scalar), decltype(gate)>(input, guidance, weight8, lam, dilation, groups, shared_gate,
                                             invert_gate, replicate_pad)
        .backward(grad_output, grad_input, grad_guidance, grad_weight8, grad_lam);
  });
}

}  // namespace

REGISTER_DEVICE_IMPL(sdc_forward_impl, CPU, sdc_forward_cpu);
REGISTER_DEVICE_IMPL(sdc_backward_impl, CPU, sdc_backward_cpu);
