// Cohort kernel: one thread per (cohort, bucket), members read from the iPhones' frame (L1/L2 serve
// the repeated reads of the rank-counting median).
#include "compute/cuda/detail/cell_math.hpp"
#include "compute/cuda/detail/cuda_resources.hpp"
#include "compute/cuda/detail/kernels.hpp"

namespace ypa::compute::cuda::detail {
namespace {

constexpr int kThreads = 128;

// One cohort's members at one bucket, in the shape cohort_cell expects.
struct MemberView {
  const double* price_source;  // the iPhones' mean, or one profile's prices
  const std::uint16_t* shop_count;
  const int* series;
  const double* weights;
  std::size_t n_buckets;
  std::size_t bucket;

  YPA_HD std::size_t cell(int m) const { return static_cast<std::size_t>(series[m]) * n_buckets + bucket; }
  // Absent when the iPhone has no aggregate at the bucket, or (with a profile) no weighted price.
  YPA_HD double price(int m) const {
    const std::size_t i = cell(m);
    return shop_count[i] == 0 ? quiet_nan() : price_source[i];
  }
  YPA_HD std::uint32_t shops(int m) const { return shop_count[cell(m)]; }
  YPA_HD double weight(int m) const { return weights[m]; }
};

__global__ void __launch_bounds__(kThreads) cohorts_kernel(CohortInputs in, StatsOut out) {
  const std::size_t bucket = static_cast<std::size_t>(blockIdx.x) * kThreads + threadIdx.x;
  const int c = static_cast<int>(blockIdx.y);
  if (bucket >= in.n_buckets) return;
  const int begin = in.offsets[c], end = in.offsets[c + 1];
  const int profile = in.profile[c];
  const MemberView members{profile >= 0 ? in.profile_prices + profile * in.n_iphone_cells : in.mean,
                           in.shop_count,
                           in.member_series + begin,
                           in.member_weights + begin,
                           in.n_buckets,
                           bucket};
  const CohortCell s = cohort_cell(members, end - begin);
  const std::size_t i = static_cast<std::size_t>(c) * in.n_buckets + bucket;
  out.mean[i] = s.mean;
  out.median[i] = s.median;
  out.std[i] = s.std;
  out.dispersion[i] = s.dispersion;
  out.shop_count[i] = static_cast<std::uint16_t>(s.shop_count < 65535u ? s.shop_count : 65535u);
  out.n_models[i] = s.n_models;
}

}  // namespace

void launch_cohorts(const CohortInputs& in, StatsOut out, cudaStream_t stream) {
  if (in.n_cohorts == 0 || in.n_buckets == 0) return;
  const dim3 grid(static_cast<unsigned>((in.n_buckets + kThreads - 1) / kThreads),
                  static_cast<unsigned>(in.n_cohorts));
  cohorts_kernel<<<grid, kThreads, 0, stream>>>(in, out);
  check_launch("cohorts_kernel");
}

}  // namespace ypa::compute::cuda::detail
