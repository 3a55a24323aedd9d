#include "gpu/checks.hpp"

#include <algorithm>
#include <cmath>

namespace ypa::testing::gpu {
namespace {

using compute::Backend;
using compute::FeatureCarry;
using compute::FeatureFrame;
using compute::PriceCube;
using compute::StatsFrame;

CheckOutcome outcome(const Comparison& c) {
  return {c.ok(), c.summary()};
}

domain::FeatureParams default_features() {
  return domain::FeatureParams{{8, 60, 120}, 2.0};
}

// Aggregate, cohorts and features of one cube on both backends, compared.
CheckOutcome whole_batch(Backend& ref, Backend& cand, const CubeShape& shape, std::size_t n_profiles,
                         std::size_t n_cohorts, const domain::FeatureParams& features, double band = 0.25) {
  PriceCube cube = random_cube(shape);
  auto profiles = random_profiles(shape.shops, n_profiles, shape.seed);
  auto cohorts = random_cohorts(shape.series, n_cohorts, n_profiles, shape.seed);
  compute::ProfilePrices ref_pp, cand_pp;
  StatsFrame a = ref.aggregate(cube, domain::AggregateParams{band}, profiles, n_profiles ? &ref_pp : nullptr);
  StatsFrame b =
      cand.aggregate(cube, domain::AggregateParams{band}, profiles, n_profiles ? &cand_pp : nullptr);
  Comparison c = compare_stats(a, b, kTolerance);
  if (ref_pp.price.size() != cand_pp.price.size()) {
    return {false, "profile price count differs"};
  }
  for (std::size_t p = 0; p < ref_pp.price.size(); ++p) {
    c.merge(compare_values("profile " + std::to_string(p), ref_pp.price[p], cand_pp.price[p], kTolerance));
  }
  // Cohorts from the reference's aggregate, so each step is compared on the same input.
  StatsFrame ca = ref.cohorts(a, ref_pp, cohorts);
  StatsFrame cb = cand.cohorts(a, ref_pp, cohorts);
  c.merge(compare_stats(ca, cb, kTolerance));
  FeatureCarry carry_a, carry_b;
  c.merge(
      compare_features(ref.features(a, carry_a, features), cand.features(a, carry_b, features), kTolerance));
  FeatureCarry cohort_a, cohort_b;
  c.merge(compare_features(ref.features(ca, cohort_a, features), cand.features(ca, cohort_b, features),
                           kTolerance));
  return outcome(c);
}

// The series over buckets [first, first + n) of a frame.
StatsFrame slice(const StatsFrame& f, std::size_t first, std::size_t n) {
  StatsFrame out(f.n_series, n);
  for (std::size_t s = 0; s < f.n_series; ++s) {
    for (std::size_t b = 0; b < n; ++b) {
      const std::size_t i = f.index(s, first + b), j = out.index(s, b);
      out.mean[j] = f.mean[i];
      out.shop_count[j] = f.shop_count[i];
    }
  }
  return out;
}

// Features computed in batches of the given lengths, carrying state, against the reference in one
// batch: slicing must not change results (SPEC §5), on either backend.
CheckOutcome sliced_features(Backend& ref, Backend& cand, const CubeShape& shape,
                             std::vector<std::size_t> cuts) {
  PriceCube cube = random_cube(shape);
  StatsFrame stats = ref.aggregate(cube, domain::AggregateParams{0.25}, {}, nullptr);
  const auto params = default_features();
  FeatureCarry whole_carry;
  FeatureFrame whole = ref.features(stats, whole_carry, params);
  FeatureCarry carry;
  Comparison c;
  std::size_t first = 0;
  cuts.push_back(shape.buckets);
  for (std::size_t cut : cuts) {
    const std::size_t n = std::min(cut, shape.buckets) - first;
    FeatureFrame part = cand.features(slice(stats, first, n), carry, params);
    FeatureFrame expected(stats.n_series, n, params.window_buckets.size());
    for (std::size_t w = 0; w < params.window_buckets.size(); ++w) {
      for (int k = 0; k < compute::kFeatureKinds; ++k) {
        for (std::size_t s = 0; s < stats.n_series; ++s) {
          const auto kind = static_cast<compute::FeatureKind>(k);
          std::copy_n(whole.values.begin() + static_cast<std::ptrdiff_t>(whole.index(w, kind, s, first)), n,
                      expected.values.begin() + static_cast<std::ptrdiff_t>(expected.index(w, kind, s, 0)));
        }
      }
    }
    c.merge(compare_features(expected, part, kTolerance));
    first += n;
  }
  // The carried state itself: the EMA of every window and the tail of values.
  for (std::size_t s = 0; s < stats.n_series; ++s) {
    c.merge(compare_values("carry ema", whole_carry.series[s].ema, carry.series[s].ema, kTolerance));
    c.merge(compare_values("carry tail", whole_carry.series[s].tail, carry.series[s].tail, 0));
  }
  return outcome(c);
}

}  // namespace

std::vector<Check> backend_checks(bool large) {
  std::vector<Check> checks;
  const auto features = default_features();
  for (std::size_t buckets : {0, 1, 31, 32, 33, 64, 65, 1000, 1025}) {
    checks.push_back({"batch of " + std::to_string(buckets) + " buckets, 7 series x 24 shops",
                      [=](Backend& r, Backend& c) {
                        return whole_batch(r, c, CubeShape{7, buckets, 24, 100 + buckets}, 3, 6, features);
                      }});
  }
  for (std::size_t shops : {1, 2, 3, 15, 16, 17, 31, 32, 33, 64, 65}) {
    checks.push_back({std::to_string(shops) + " shops, 5 series x 300 buckets", [=](Backend& r, Backend& c) {
                        return whole_batch(r, c, CubeShape{5, 300, shops, 7 * shops}, 2, 4, features);
                      }});
  }
  checks.push_back({"no series", [=](Backend& r, Backend& c) {
                      return whole_batch(r, c, CubeShape{0, 100, 24, 3}, 1, 0, features);
                    }});
  checks.push_back({"sparse: 70% missing, 20% single-shop buckets, 5% outliers", [=](Backend& r, Backend& c) {
                      CubeShape shape{6, 2000, 24, 77};
                      shape.missing = 0.7;
                      shape.single_shop = 0.2;
                      shape.outliers = 0.05;
                      shape.gap_buckets = 0.3;
                      return whole_batch(r, c, shape, 2, 5, features);
                    }});
  checks.push_back({"outlier filter off (band 0)", [=](Backend& r, Backend& c) {
                      CubeShape shape{4, 500, 24, 91};
                      shape.outliers = 0.1;
                      return whole_batch(r, c, shape, 1, 3, features, 0.0);
                    }});
  checks.push_back({"windows 1, 2, 3, 96 and 200 buckets", [=](Backend& r, Backend& c) {
                      return whole_batch(r, c, CubeShape{5, 1500, 12, 5}, 0, 2,
                                         domain::FeatureParams{{1, 2, 3, 96, 200}, 1.5});
                    }});
  checks.push_back(
      {"features in batches of 1, 31, 1024, 1025 and the rest, with carry", [=](Backend& r, Backend& c) {
         return sliced_features(r, c, CubeShape{6, 5000, 24, 21}, {1, 32, 1056, 2081});
       }});
  checks.push_back({"features in 30-day batches over 90 days, long gaps", [=](Backend& r, Backend& c) {
                      CubeShape shape{5, 8640, 24, 33};
                      shape.gap_buckets = 0.4;
                      return sliced_features(r, c, shape, {2880, 5760});
                    }});
  const std::size_t year_series = large ? 160 : 4;
  checks.push_back({"one year: 35040 buckets x " + std::to_string(year_series) + " series x 24 shops",
                    [=](Backend& r, Backend& c) {
                      return whole_batch(r, c, CubeShape{year_series, 35040, 24, 2025}, 4, 12, features);
                    }});
  return checks;
}

}  // namespace ypa::testing::gpu
