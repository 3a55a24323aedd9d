// The CPU backend: the domain definitions applied to every series of a batch, in parallel over series.
#include <cmath>
#include <memory>

#include "compute/backend.hpp"
#include "compute/cpu/parallel.hpp"
#include "domain/aggregate.hpp"
#include "domain/cohort.hpp"
#include "domain/features.hpp"

namespace ypa::compute {
namespace {

class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }

  StatsFrame aggregate(const PriceCube& cube, const domain::AggregateParams& params,
                       std::span<const ProfileWeights> profiles, ProfilePrices* profile_prices) override {
    StatsFrame out(cube.n_series, cube.n_buckets);
    if (profile_prices != nullptr) {
      profile_prices->price.assign(profiles.size(), std::vector<double>(cube.n_series * cube.n_buckets, NAN));
    }
    cpu::parallel_for(cube.n_series, [&](std::size_t s) {
      std::vector<double> prices, scratch, kept, kept_weights;
      std::vector<std::size_t> shops;
      auto keep_storage = std::make_unique<bool[]>(cube.n_shops);
      for (std::size_t b = 0; b < cube.n_buckets; ++b) {
        const double* row = &cube.price[cube.offset(s, b)];
        prices.clear();
        shops.clear();
        for (std::size_t k = 0; k < cube.n_shops; ++k) {
          if (!std::isnan(row[k])) {
            prices.push_back(row[k]);
            shops.push_back(k);
          }
        }
        if (prices.empty()) continue;
        std::span<bool> keep(keep_storage.get(), prices.size());
        domain::outlier_filter(prices, params.outlier_band, keep);
        domain::BucketStats st = domain::kept_stats(prices, keep, scratch);
        std::size_t i = out.index(s, b);
        out.mean[i] = st.mean;
        out.median[i] = st.median;
        out.std[i] = st.std;
        out.dispersion[i] = st.dispersion;
        out.shop_count[i] = st.shop_count;
        out.n_models[i] = 1;
        if (profile_prices == nullptr) continue;
        for (std::size_t p = 0; p < profiles.size(); ++p) {
          kept.clear();
          kept_weights.clear();
          for (std::size_t j = 0; j < prices.size(); ++j) {
            if (!keep[j]) continue;
            kept.push_back(prices[j]);
            kept_weights.push_back(profiles[p].by_shop[shops[j]]);
          }
          profile_prices->price[p][i] = domain::profile_price(kept, kept_weights);
        }
      }
    });
    return out;
  }

  StatsFrame cohorts(const StatsFrame& iphones, const ProfilePrices& profile_prices,
                     std::span<const CohortPlan> cohorts) override {
    StatsFrame out(cohorts.size(), iphones.n_buckets);
    cpu::parallel_for(cohorts.size(), [&](std::size_t c) {
      const CohortPlan& plan = cohorts[c];
      std::vector<domain::MemberPoint> points(plan.member_series.size());
      std::vector<double> scratch;
      for (std::size_t b = 0; b < iphones.n_buckets; ++b) {
        for (std::size_t m = 0; m < plan.member_series.size(); ++m) {
          std::size_t i = iphones.index(plan.member_series[m], b);
          double price = plan.profile >= 0 ? profile_prices.price[static_cast<std::size_t>(plan.profile)][i]
                                           : iphones.mean[i];
          points[m] = {price, iphones.shop_count[i]};
          if (iphones.shop_count[i] == 0) points[m].price = NAN;
        }
        domain::CohortStats st = domain::cohort_stats(points, plan.member_weights, scratch);
        if (st.n_models == 0) continue;
        std::size_t i = out.index(c, b);
        out.mean[i] = st.mean;
        out.median[i] = st.median;
        out.std[i] = st.std;
        out.dispersion[i] = st.dispersion;
        out.shop_count[i] = static_cast<std::uint16_t>(std::min<std::uint32_t>(st.shop_count, 65535));
        out.n_models[i] = st.n_models;
      }
    });
    return out;
  }

  FeatureFrame features(const StatsFrame& stats, FeatureCarry& carry, const domain::FeatureParams& params) override {
    FeatureFrame out(stats.n_series, stats.n_buckets, params.window_buckets.size());
    if (carry.series.size() != stats.n_series) {
      carry.series.assign(stats.n_series, domain::initial_carry(params));
    }
    cpu::parallel_for(stats.n_series, [&](std::size_t s) {
      std::span<const double> x(&stats.mean[stats.index(s, 0)], stats.n_buckets);
      auto windows = domain::series_features(x, carry.series[s], params);
      for (std::size_t w = 0; w < windows.size(); ++w) {
        const auto& f = windows[w];
        const std::vector<double>* by_kind[kFeatureKinds] = {&f.ema,     &f.sma,      &f.wma,       &f.boll_mid,
                                                             &f.boll_up, &f.boll_low, &f.boll_width};
        for (int k = 0; k < kFeatureKinds; ++k) {
          std::copy(by_kind[k]->begin(), by_kind[k]->end(),
                    out.values.begin() + static_cast<std::ptrdiff_t>(out.index(w, static_cast<FeatureKind>(k), s, 0)));
        }
      }
    });
    return out;
  }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace ypa::compute
