// Cross-shop aggregate kernel: one thread per (iPhone, bucket) cell. A block first stages its cells'
// price rows in shared memory with coalesced loads (rows padded to an odd stride, so the per-thread
// reads hit distinct banks), then each thread runs aggregate_cell<N> on its row in registers.
#include "compute/cuda/detail/cell_math.hpp"
#include "compute/cuda/detail/cuda_resources.hpp"
#include "compute/cuda/detail/kernels.hpp"

namespace ypa::compute::cuda::detail {
namespace {

template <int N, int kThreads>
__global__ void __launch_bounds__(kThreads)
    aggregate_kernel(const double* __restrict__ cube, std::size_t n_cells, int n_shops, double band,
                     const double* __restrict__ weights, int n_profiles, double* profile_prices,
                     std::size_t profile_stride, StatsOut out) {
  extern __shared__ double shared[];
  const int stride = n_shops | 1;
  double* rows = shared;
  double* shop_weights = shared + kThreads * stride;

  const std::size_t first = static_cast<std::size_t>(blockIdx.x) * kThreads;
  const int cells = static_cast<int>(min(static_cast<std::size_t>(kThreads), n_cells - first));
  const double* src = cube + first * n_shops;
  const int values = cells * n_shops;
  for (int i = threadIdx.x; i < values; i += kThreads)
    rows[(i / n_shops) * stride + i % n_shops] = __ldg(src + i);
  for (int i = threadIdx.x; i < n_profiles * n_shops; i += kThreads) shop_weights[i] = __ldg(weights + i);
  __syncthreads();
  if (static_cast<int>(threadIdx.x) >= cells) return;

  const std::size_t c = first + threadIdx.x;
  double* profile_out = n_profiles > 0 ? profile_prices + c : nullptr;
  const CellStats s = aggregate_cell<N>(rows + threadIdx.x * stride, n_shops, band, shop_weights, n_profiles,
                                        profile_out, profile_stride);
  out.mean[c] = s.mean;
  out.median[c] = s.median;
  out.std[c] = s.std;
  out.dispersion[c] = s.dispersion;
  out.shop_count[c] = s.shop_count;
  out.n_models[c] = s.shop_count > 0 ? 1 : 0;
}

template <int N, int kThreads>
void launch(const double* cube, std::size_t n_cells, int n_shops, double band, const double* weights,
            int n_profiles, double* profile_prices, std::size_t profile_stride, StatsOut out,
            cudaStream_t stream) {
  const std::size_t blocks = (n_cells + kThreads - 1) / kThreads;
  const std::size_t shared =
      (static_cast<std::size_t>(kThreads) * (n_shops | 1) + static_cast<std::size_t>(n_profiles) * n_shops) *
      sizeof(double);
  if (shared > 48 * 1024) {
    check(cudaFuncSetAttribute(aggregate_kernel<N, kThreads>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(shared)),
          "cudaFuncSetAttribute (aggregate)");
  }
  aggregate_kernel<N, kThreads><<<static_cast<unsigned>(blocks), kThreads, shared, stream>>>(
      cube, n_cells, n_shops, band, weights, n_profiles, profile_prices, profile_stride, out);
  check_launch("aggregate_kernel");
}

}  // namespace

void launch_aggregate(const double* cube, std::size_t n_cells, int n_shops, double band,
                      const double* weights, int n_profiles, double* profile_prices,
                      std::size_t profile_stride, StatsOut out, cudaStream_t stream) {
  if (n_cells == 0) return;
  // The smallest register array that holds the row: fewer compare-exchanges in the sorting network.
  if (n_shops <= 16) {
    launch<16, 128>(cube, n_cells, n_shops, band, weights, n_profiles, profile_prices, profile_stride, out,
                    stream);
  } else if (n_shops <= 32) {
    launch<32, 128>(cube, n_cells, n_shops, band, weights, n_profiles, profile_prices, profile_stride, out,
                    stream);
  } else {
    launch<64, 64>(cube, n_cells, n_shops, band, weights, n_profiles, profile_prices, profile_stride, out,
                   stream);
  }
}

}  // namespace ypa::compute::cuda::detail
