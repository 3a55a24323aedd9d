// Feature kernels (SPEC §5) over the time axis of few, long series. The axis is cut into tiles of
// kTile buckets, one block per (tile, series); each thread owns kChunk consecutive buckets.
//  1. ema_tile_reduce: per window, the composition of the EMA maps of each tile (block-wide reduce).
//  2. ema_tile_prefix: per (series, window), the EMA value entering each tile from the carried EMA and
//     the tiles before it (a few dozen sequential steps).
//  3. features_tile: per window, an exclusive block scan of the threads' maps gives each thread its
//     starting EMA, after which it runs the CPU's recursion; the rolling SMA/WMA/std come from the
//     tile staged in shared memory (rolling_chunk); results are staged per thread and written back
//     coalesced, seven feature columns per window, all windows in one pass.
#include <algorithm>

#include "compute/cuda/detail/cell_math.hpp"
#include "compute/cuda/detail/cuda_resources.hpp"
#include "compute/cuda/detail/kernels.hpp"

namespace ypa::compute::cuda::detail {
namespace {

constexpr int kThreads = kFeatureThreads;
constexpr int kChunk = kFeatureChunk;
constexpr int kTile = kThreads * kChunk;
constexpr int kWarps = kThreads / 32;
constexpr int kStageStride = kChunk + 1;  // odd: threads' staged rows fall in distinct banks
constexpr int kStaged = 4;                // ema, sma, wma, sd
constexpr int kKinds = 7;                 // FeatureFrame's kinds: ema sma wma mid up low width

__device__ EmaMap shuffle_up(const EmaMap& m, int delta) {
  constexpr unsigned kAll = 0xffffffffu;
  return EmaMap{__shfl_up_sync(kAll, m.any, delta), __shfl_up_sync(kAll, m.a, delta),
                __shfl_up_sync(kAll, m.b, delta), __shfl_up_sync(kAll, m.c, delta)};
}

// Exclusive scan of the threads' maps in thread order, and the block's total. Every thread calls it.
__device__ void block_scan(const EmaMap& mine, EmaMap& exclusive, EmaMap& total, EmaMap* warp_totals) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  EmaMap inclusive = mine;
#pragma unroll
  for (int d = 1; d < 32; d <<= 1) {
    const EmaMap before = shuffle_up(inclusive, d);
    if (lane >= d) inclusive = ema_then(before, inclusive);
  }
  EmaMap in_warp = shuffle_up(inclusive, 1);
  if (lane == 0) in_warp = ema_identity();
  if (lane == 31) warp_totals[warp] = inclusive;
  __syncthreads();
  EmaMap before = ema_identity();
  total = ema_identity();
#pragma unroll
  for (int i = 0; i < kWarps; ++i) {
    if (i < warp) before = ema_then(before, warp_totals[i]);
    total = ema_then(total, warp_totals[i]);
  }
  exclusive = ema_then(before, in_warp);
  __syncthreads();  // warp_totals is reused by the next call
}

// y = tail ++ x of one series, by extended index T.
__device__ double extended(const double* x, const double* tail, std::size_t series, std::size_t n_buckets,
                           int history, long long t_ext) {
  if (t_ext < history) return tail[series * history + t_ext];
  return x[series * n_buckets + static_cast<std::size_t>(t_ext - history)];
}

__global__ void __launch_bounds__(kThreads)
    ema_tile_reduce(const double* __restrict__ x, std::size_t n_series, std::size_t n_buckets,
                    WindowSet windows, std::size_t n_tiles, EmaMap* tile_maps) {
  __shared__ EmaMap warp_totals[kWarps];
  const std::size_t series = blockIdx.y, tile = blockIdx.x;
  const std::size_t first = tile * kTile + static_cast<std::size_t>(threadIdx.x) * kChunk;
  double v[kChunk];
#pragma unroll
  for (int i = 0; i < kChunk; ++i)
    v[i] = first + i < n_buckets ? x[series * n_buckets + first + i] : quiet_nan();
  for (int w = 0; w < windows.count; ++w) {
    EmaMap m = ema_identity();
#pragma unroll
    for (int i = 0; i < kChunk; ++i) m = ema_then(m, ema_step(v[i], windows.alpha[w]));
    EmaMap exclusive, total;
    block_scan(m, exclusive, total, warp_totals);
    if (threadIdx.x == 0) tile_maps[(w * n_series + series) * n_tiles + tile] = total;
  }
}

__global__ void ema_tile_prefix(const EmaMap* __restrict__ tile_maps, const double* __restrict__ ema0,
                                std::size_t n_series, int n_windows, std::size_t n_tiles, double* tile_in) {
  const std::size_t id = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (id >= n_series * n_windows) return;
  const std::size_t w = id / n_series, series = id % n_series;
  double e = ema0[series * n_windows + w];
  const std::size_t row = (w * n_series + series) * n_tiles;
  for (std::size_t t = 0; t < n_tiles; ++t) {
    tile_in[row + t] = e;
    e = ema_apply(tile_maps[row + t], e);
  }
}

__global__ void __launch_bounds__(kThreads)
    features_tile(const double* __restrict__ x, const double* __restrict__ tail, std::size_t n_series,
                  std::size_t n_buckets, WindowSet windows, std::size_t n_tiles,
                  const double* __restrict__ tile_in, double* __restrict__ out) {
  __shared__ EmaMap warp_totals[kWarps];
  extern __shared__ double shared[];
  const int history = windows.history;
  double* ys = shared;  // extended indices [t0, t0 + kTile + history)
  double* stage = ys + kTile + history;
  double* stage_ema = stage;
  double* stage_sma = stage + kThreads * kStageStride;
  double* stage_wma = stage + 2 * kThreads * kStageStride;
  double* stage_sd = stage + 3 * kThreads * kStageStride;

  const std::size_t series = blockIdx.y, tile = blockIdx.x;
  const std::size_t t0 = tile * kTile;
  const long long extended_end = static_cast<long long>(n_buckets) + history;
  for (int u = threadIdx.x; u < kTile + history; u += kThreads) {
    const long long t_ext = static_cast<long long>(t0) + u;
    ys[u] = t_ext < extended_end ? extended(x, tail, series, n_buckets, history, t_ext) : quiet_nan();
  }
  __syncthreads();

  const int local = threadIdx.x * kChunk;  // first of this thread's buckets within the tile
  const long long remaining = static_cast<long long>(n_buckets) - static_cast<long long>(t0) - local;
  const int count = static_cast<int>(remaining < 0 ? 0 : (remaining > kChunk ? kChunk : remaining));
  const double* mine = ys + history + local;  // y at this thread's first bucket
  const int row = threadIdx.x * kStageStride;

  for (int w = 0; w < windows.count; ++w) {
    const double alpha = windows.alpha[w];
    EmaMap m = ema_identity();
    for (int i = 0; i < count; ++i) m = ema_then(m, ema_step(mine[i], alpha));
    EmaMap exclusive, total;
    block_scan(m, exclusive, total, warp_totals);
    double e = ema_apply(exclusive, tile_in[(w * n_series + series) * n_tiles + tile]);
    for (int i = 0; i < count; ++i) {
      e = ema_advance(e, mine[i], alpha);
      stage_ema[row + i] = e;
    }
    rolling_chunk(ys, history + local, count, windows.buckets[w], stage_sma + row, stage_wma + row,
                  stage_sd + row, 1);
    __syncthreads();

    const double k = windows.boll_k;
    for (int idx = threadIdx.x; idx < kTile; idx += kThreads) {
      const std::size_t t = t0 + idx;
      if (t >= n_buckets) break;
      const int s = (idx / kChunk) * kStageStride + idx % kChunk;
      const double sma = stage_sma[s], sd = stage_sd[s];
      const double up = sma + k * sd, low = sma - k * sd;
      const double values[kKinds] = {stage_ema[s], sma, stage_wma[s], sma, up, low, up - low};
#pragma unroll
      for (int kind = 0; kind < kKinds; ++kind) {
        out[((static_cast<std::size_t>(w) * kKinds + kind) * n_series + series) * n_buckets + t] =
            values[kind];
      }
    }
    __syncthreads();  // the stage is refilled by the next window
  }
}

}  // namespace

std::size_t feature_scratch_doubles(std::size_t n_series, std::size_t n_buckets, const WindowSet& windows) {
  const std::size_t n_tiles = (n_buckets + kTile - 1) / kTile;
  const std::size_t entries = static_cast<std::size_t>(windows.count) * n_series * n_tiles;
  // EmaMap (an int and three doubles) padded to four doubles, plus one tile start value each.
  static_assert(sizeof(EmaMap) == 4 * sizeof(double));
  return entries * 4 + entries;
}

std::size_t feature_shared_bytes(const WindowSet& windows) {
  return (static_cast<std::size_t>(kTile) + windows.history + kStaged * kThreads * kStageStride) *
         sizeof(double);
}

bool features_supported(const WindowSet& windows, int device) {
  if (windows.count < 1 || windows.count > kMaxWindows) return false;
  int optin = 0;
  check(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
        "cudaDeviceGetAttribute");
  return feature_shared_bytes(windows) + sizeof(EmaMap) * kWarps <= static_cast<std::size_t>(optin);
}

void launch_features(const double* x, const double* tail, const double* ema0, std::size_t n_series,
                     std::size_t n_buckets, const WindowSet& windows, double* scratch, double* out,
                     cudaStream_t stream) {
  if (n_series == 0 || n_buckets == 0) return;
  const std::size_t n_tiles = (n_buckets + kTile - 1) / kTile;
  const std::size_t entries = static_cast<std::size_t>(windows.count) * n_series * n_tiles;
  auto* tile_maps = reinterpret_cast<EmaMap*>(scratch);
  double* tile_in = scratch + entries * 4;
  const dim3 grid(static_cast<unsigned>(n_tiles), static_cast<unsigned>(n_series));

  ema_tile_reduce<<<grid, kThreads, 0, stream>>>(x, n_series, n_buckets, windows, n_tiles, tile_maps);
  check_launch("ema_tile_reduce");
  const std::size_t lines = n_series * static_cast<std::size_t>(windows.count);
  ema_tile_prefix<<<static_cast<unsigned>((lines + 127) / 128), 128, 0, stream>>>(
      tile_maps, ema0, n_series, windows.count, n_tiles, tile_in);
  check_launch("ema_tile_prefix");
  const std::size_t shared = feature_shared_bytes(windows);
  if (shared > 48 * 1024 - sizeof(EmaMap) * kWarps) {
    check(cudaFuncSetAttribute(features_tile, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(shared)),
          "cudaFuncSetAttribute (features)");
  }
  features_tile<<<grid, kThreads, shared, stream>>>(x, tail, n_series, n_buckets, windows, n_tiles, tile_in,
                                                    out);
  check_launch("features_tile");
}

}  // namespace ypa::compute::cuda::detail
