// Launchers of the CUDA backend's kernels, over raw device pointers on one stream. The backend
// (cuda_backend.cpp) owns the buffers and the transfers; the benchmark calls these directly to time the
// kernels alone. Preconditions are checked by the callers before any launch.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace ypa::compute::cuda::detail {

// Outputs of a (series x bucket) statistics frame, each n_cells long.
struct StatsOut {
  double* mean;
  double* median;
  double* std;
  double* dispersion;
  std::uint16_t* shop_count;
  std::uint16_t* n_models;
};

// The widest shop axis the aggregate kernel takes (its prices live in registers).
inline constexpr int kMaxShops = 64;

// Cross-shop aggregate of cells [0, n_cells) of `cube` (n_shops prices per cell). With n_profiles > 0,
// weights holds n_profiles x n_shops shop weights and profile p's prices go to
// profile_prices[p * profile_stride + cell]. Requires 1 <= n_shops <= kMaxShops.
void launch_aggregate(const double* cube, std::size_t n_cells, int n_shops, double band,
                      const double* weights, int n_profiles, double* profile_prices,
                      std::size_t profile_stride, StatsOut out, cudaStream_t stream);

// Cohorts in compressed rows: cohort c's members are member_series/member_weights[offsets[c] ..
// offsets[c+1]); profile[c] is its shop profile or -1. Inputs are the iPhones' frame
// (n_iphone_series x n_buckets) and the profile prices ([profile][iphone cell]).
struct CohortInputs {
  const double* mean;
  const std::uint16_t* shop_count;
  const double* profile_prices;
  std::size_t n_iphone_cells;
  std::size_t n_buckets;
  const int* offsets;
  const int* member_series;
  const double* member_weights;
  const int* profile;
  int n_cohorts;
};
void launch_cohorts(const CohortInputs& in, StatsOut out, cudaStream_t stream);

// The feature kernels' shape: windows in buckets, at most kMaxWindows.
inline constexpr int kMaxWindows = 16;
struct WindowSet {
  int count;
  int history;  // largest window - 1: how many values before the batch each series carries
  int buckets[kMaxWindows];
  double alpha[kMaxWindows];
  double boll_k;
};

// Scratch the feature kernels need for n_series x n_buckets: EMA maps per (window, series, tile) and
// tile start values. Sizes in doubles.
std::size_t feature_scratch_doubles(std::size_t n_series, std::size_t n_buckets, const WindowSet& windows);
// Dynamic shared memory of the feature kernel, and whether this device can give it.
std::size_t feature_shared_bytes(const WindowSet& windows);
bool features_supported(const WindowSet& windows, int device);

// Features of x (n_series x n_buckets, NaN = missing), continuing from tail (n_series x history values
// before the batch, oldest first) and ema0 (n_series x windows.count, NaN = no value yet). Writes the
// FeatureFrame layout ((window * 7 + kind) * n_series + series) * n_buckets + bucket.
void launch_features(const double* x, const double* tail, const double* ema0, std::size_t n_series,
                     std::size_t n_buckets, const WindowSet& windows, double* scratch, double* out,
                     cudaStream_t stream);

}  // namespace ypa::compute::cuda::detail
