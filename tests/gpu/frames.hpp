// Test frames for the backend comparisons: realistic random price cubes (integer yen, staggered gaps,
// outliers, single-shop buckets, all-missing series), profiles and cohorts, and the comparison of two
// backends' frames with NULLs in the same places. No test framework here: the GoogleTest suites, the
// standalone GPU check and the benchmark share it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compute/frame.hpp"

namespace ypa::testing::gpu {

struct CubeShape {
  std::size_t series = 8;
  std::size_t buckets = 100;
  std::size_t shops = 24;
  std::uint64_t seed = 1;
  double missing = 0.15;           // share of missing (shop, bucket) prices
  double gap_buckets = 0.02;       // share of buckets where the whole series is missing
  double single_shop = 0.03;       // share of buckets with exactly one shop
  double outliers = 0.01;          // share of prices far off the market
  bool all_missing_series = true;  // the last series has no price at all (when series >= 2)
};

compute::PriceCube random_cube(const CubeShape& shape);
// n profiles over `shops` shops: weights 0 (some), 1 and fractional.
std::vector<compute::ProfileWeights> random_profiles(std::size_t shops, std::size_t n, std::uint64_t seed);
// n cohorts over n_series series, a third of them with a profile (when there are profiles).
std::vector<compute::CohortPlan> random_cohorts(std::size_t n_series, std::size_t n, std::size_t n_profiles,
                                                std::uint64_t seed);

// The outcome of comparing a candidate's values with the reference's.
struct Comparison {
  std::size_t values = 0;
  std::size_t mismatches = 0;  // NULL vs value, or |a - b| > tol * max(1, |a|) (compare_runs' rule)
  double max_relative = 0;     // largest |a - b| / max(1, |a|) among values present in both
  std::string worst;           // where max_relative was seen
  std::string first_mismatch;  // where and what, empty when none
  bool ok() const { return mismatches == 0; }
  void merge(const Comparison& other);
  std::string summary() const;
};

Comparison compare_values(const std::string& what, const std::vector<double>& reference,
                          const std::vector<double>& candidate, double tolerance);
Comparison compare_stats(const compute::StatsFrame& reference, const compute::StatsFrame& candidate,
                         double tolerance);
Comparison compare_features(const compute::FeatureFrame& reference, const compute::FeatureFrame& candidate,
                            double tolerance);

}  // namespace ypa::testing::gpu
