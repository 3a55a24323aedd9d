// Dense frames shared by every backend: a batch laid out as (series x bucket [x shop]) arrays of
// float64 with NaN for "missing/NULL", so a backend moves flat arrays and never walks maps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ypa::compute {

// price_new of one batch: index ((series * n_buckets) + bucket) * n_shops + shop; NaN = no row.
struct PriceCube {
  std::size_t n_series = 0;
  std::size_t n_buckets = 0;
  std::size_t n_shops = 0;
  std::vector<double> price;

  PriceCube() = default;
  PriceCube(std::size_t series, std::size_t buckets, std::size_t shops);
  std::size_t offset(std::size_t series, std::size_t bucket) const { return (series * n_buckets + bucket) * n_shops; }
};

// Per (series, bucket) statistics: the cross-shop aggregate of an iPhone or the aggregate of a cohort.
// index series * n_buckets + bucket. A bucket without data has shop_count 0 and NaN values.
struct StatsFrame {
  std::size_t n_series = 0;
  std::size_t n_buckets = 0;
  std::vector<double> mean, median, std, dispersion;
  std::vector<std::uint16_t> shop_count;
  std::vector<std::uint16_t> n_models;

  StatsFrame() = default;
  StatsFrame(std::size_t series, std::size_t buckets);
  std::size_t index(std::size_t series, std::size_t bucket) const { return series * n_buckets + bucket; }
  bool present(std::size_t series, std::size_t bucket) const { return shop_count[index(series, bucket)] > 0; }
};

// Shop weights of one profile, by shop index of the cube (unlisted shops weigh 1).
struct ProfileWeights {
  std::vector<double> by_shop;
};

// Per profile, each iPhone's shop-weighted mean of its kept prices (SPEC §6): [profile][series*buckets].
struct ProfilePrices {
  std::vector<std::vector<double>> price;
};

enum class FeatureKind : int { kEma, kSma, kWma, kBollMid, kBollUp, kBollLow, kBollWidth };
inline constexpr int kFeatureKinds = 7;

// Features of a batch: index ((window * kFeatureKinds + kind) * n_series + series) * n_buckets + bucket.
struct FeatureFrame {
  std::size_t n_series = 0;
  std::size_t n_buckets = 0;
  std::size_t n_windows = 0;
  std::vector<double> values;

  FeatureFrame() = default;
  FeatureFrame(std::size_t series, std::size_t buckets, std::size_t windows);
  std::size_t index(std::size_t window, FeatureKind kind, std::size_t series, std::size_t bucket) const {
    return ((window * kFeatureKinds + static_cast<std::size_t>(kind)) * n_series + series) * n_buckets + bucket;
  }
  double at(std::size_t window, FeatureKind kind, std::size_t series, std::size_t bucket) const {
    return values[index(window, kind, series, bucket)];
  }
};

// One cohort in frame terms: member series indices and weights, and its profile (-1 = none).
struct CohortPlan {
  std::vector<std::size_t> member_series;
  std::vector<double> member_weights;
  int profile = -1;
};

}  // namespace ypa::compute
