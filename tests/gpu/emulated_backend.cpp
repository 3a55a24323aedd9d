#include "gpu/emulated_backend.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "compute/cuda/detail/cell_math.hpp"

namespace ypa::testing::gpu {
namespace {

namespace d = compute::cuda::detail;
using compute::StatsFrame;

// The aggregate kernels' register sizes for a shop axis, as launch_aggregate picks them.
d::CellStats aggregate_cell(const double* row, int shops, double band, const double* weights, int n_profiles,
                            double* profile_out, std::size_t stride) {
  if (shops <= 16) return d::aggregate_cell<16>(row, shops, band, weights, n_profiles, profile_out, stride);
  if (shops <= 32) return d::aggregate_cell<32>(row, shops, band, weights, n_profiles, profile_out, stride);
  return d::aggregate_cell<64>(row, shops, band, weights, n_profiles, profile_out, stride);
}

struct HostMembers {
  const double* price_source;
  const std::uint16_t* counts;
  const std::size_t* series;
  const double* weights;
  std::size_t n_buckets, bucket;
  double price(int m) const {
    const std::size_t i = series[m] * n_buckets + bucket;
    return counts[i] == 0 ? d::quiet_nan() : price_source[i];
  }
  std::uint32_t shops(int m) const { return counts[series[m] * n_buckets + bucket]; }
  double weight(int m) const { return weights[m]; }
};

class EmulatedBackend final : public compute::Backend {
 public:
  EmulatedBackend() : cpu_(compute::make_cpu_backend()) {}
  std::string name() const override { return "cuda-emulated"; }

  StatsFrame aggregate(const compute::PriceCube& cube, const domain::AggregateParams& params,
                       std::span<const compute::ProfileWeights> profiles,
                       compute::ProfilePrices* profile_prices) override {
    StatsFrame out(cube.n_series, cube.n_buckets);
    const std::size_t cells = cube.n_series * cube.n_buckets;
    const std::size_t n_profiles = profile_prices ? profiles.size() : 0;
    if (profile_prices) profile_prices->price.assign(n_profiles, std::vector<double>(cells, NAN));
    if (cube.n_shops > 64)
      return cpu_->aggregate(cube, params, profiles, profile_prices);  // as the real backend
    if (cube.n_shops == 0) return out;
    std::vector<double> weights, profile_cell(std::max<std::size_t>(n_profiles, 1));
    for (std::size_t p = 0; p < n_profiles; ++p) {
      weights.insert(weights.end(), profiles[p].by_shop.begin(), profiles[p].by_shop.end());
    }
    for (std::size_t c = 0; c < cells; ++c) {
      const d::CellStats s =
          aggregate_cell(&cube.price[c * cube.n_shops], static_cast<int>(cube.n_shops), params.outlier_band,
                         weights.data(), static_cast<int>(n_profiles), profile_cell.data(), 1);
      out.mean[c] = s.mean;
      out.median[c] = s.median;
      out.std[c] = s.std;
      out.dispersion[c] = s.dispersion;
      out.shop_count[c] = s.shop_count;
      out.n_models[c] = s.shop_count > 0 ? 1 : 0;
      for (std::size_t p = 0; p < n_profiles; ++p) profile_prices->price[p][c] = profile_cell[p];
    }
    return out;
  }

  StatsFrame cohorts(const StatsFrame& iphones, const compute::ProfilePrices& profile_prices,
                     std::span<const compute::CohortPlan> cohorts) override {
    StatsFrame out(cohorts.size(), iphones.n_buckets);
    for (std::size_t c = 0; c < cohorts.size(); ++c) {
      const auto& plan = cohorts[c];
      const double* source = plan.profile >= 0
                                 ? profile_prices.price[static_cast<std::size_t>(plan.profile)].data()
                                 : iphones.mean.data();
      for (std::size_t b = 0; b < iphones.n_buckets; ++b) {
        HostMembers members{source,
                            iphones.shop_count.data(),
                            plan.member_series.data(),
                            plan.member_weights.data(),
                            iphones.n_buckets,
                            b};
        const d::CohortCell s = d::cohort_cell(members, static_cast<int>(plan.member_series.size()));
        const std::size_t i = out.index(c, b);
        out.mean[i] = s.mean;
        out.median[i] = s.median;
        out.std[i] = s.std;
        out.dispersion[i] = s.dispersion;
        out.shop_count[i] = static_cast<std::uint16_t>(std::min<std::uint32_t>(s.shop_count, 65535));
        out.n_models[i] = s.n_models;
      }
    }
    return out;
  }

  compute::FeatureFrame features(const StatsFrame& stats, compute::FeatureCarry& carry,
                                 const domain::FeatureParams& params) override {
    const std::size_t n = stats.n_buckets, n_windows = params.window_buckets.size();
    if (carry.series.size() != stats.n_series)
      carry.series.assign(stats.n_series, domain::initial_carry(params));
    compute::FeatureFrame out(stats.n_series, n, n_windows);
    if (n == 0) return out;
    const int history = params.max_window() - 1;
    constexpr int kChunk = d::kFeatureChunk, kTile = d::kFeatureThreads * d::kFeatureChunk;
    const std::size_t tiles = (n + kTile - 1) / kTile;
    for (std::size_t s = 0; s < stats.n_series; ++s) {
      auto& c = carry.series[s];
      std::vector<double> y(c.tail);
      y.insert(y.end(), stats.mean.begin() + static_cast<std::ptrdiff_t>(s * n),
               stats.mean.begin() + static_cast<std::ptrdiff_t>((s + 1) * n));
      y.resize(history + tiles * kTile, NAN);  // the kernels pad the last tile with missing values
      std::vector<double> sma(kChunk), wma(kChunk), sd(kChunk);
      for (std::size_t w = 0; w < n_windows; ++w) {
        const int window = params.window_buckets[w];
        const double alpha = 2.0 / (window + 1.0);
        // Per tile, the composition of its maps; the value entering each tile (ema_tile_prefix).
        std::vector<double> tile_in(tiles);
        double e = c.ema[w];
        for (std::size_t t = 0; t < tiles; ++t) {
          d::EmaMap m = d::ema_identity();
          for (int i = 0; i < kTile; ++i) m = d::ema_then(m, d::ema_step(y[history + t * kTile + i], alpha));
          tile_in[t] = e;
          e = d::ema_apply(m, e);
        }
        for (std::size_t t = 0; t < tiles; ++t) {
          d::EmaMap before = d::ema_identity();  // the exclusive scan over the tile's threads
          for (int thread = 0; thread < d::kFeatureThreads; ++thread) {
            const std::size_t first = t * kTile + thread * kChunk;
            const int count = static_cast<int>(std::min<std::size_t>(kChunk, first < n ? n - first : 0));
            d::EmaMap mine = d::ema_identity();
            for (int i = 0; i < count; ++i)
              mine = d::ema_then(mine, d::ema_step(y[history + first + i], alpha));
            double ema = d::ema_apply(before, tile_in[t]);
            before = d::ema_then(before, mine);
            d::rolling_chunk(y.data(), history + static_cast<int>(first), count, window, sma.data(),
                             wma.data(), sd.data(), 1);
            for (int i = 0; i < count; ++i) {
              ema = d::ema_advance(ema, y[history + first + i], alpha);
              const double up = sma[i] + params.boll_k * sd[i], low = sma[i] - params.boll_k * sd[i];
              const double values[] = {ema, sma[i], wma[i], sma[i], up, low, up - low};
              for (int k = 0; k < compute::kFeatureKinds; ++k) {
                out.values[out.index(w, static_cast<compute::FeatureKind>(k), s, first + i)] = values[k];
              }
            }
          }
        }
        c.ema[w] = out.at(w, compute::FeatureKind::kEma, s, n - 1);
      }
      std::copy(y.begin() + static_cast<std::ptrdiff_t>(n),
                y.begin() + static_cast<std::ptrdiff_t>(n + history), c.tail.begin());
    }
    return out;
  }

 private:
  std::unique_ptr<compute::Backend> cpu_;
};

}  // namespace

std::unique_ptr<compute::Backend> make_emulated_cuda_backend() {
  return std::make_unique<EmulatedBackend>();
}

}  // namespace ypa::testing::gpu
