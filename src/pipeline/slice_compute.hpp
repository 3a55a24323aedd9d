// Computation of one slice: alignment of its source records (or the price_aligned rows read back from
// ClickHouse), the price cube, the cross-shop aggregate, cohorts and features, on a compute backend.
// One instance lives for the whole run because it carries the features' state from slice to slice.
#pragma once

#include <optional>
#include <vector>

#include "compute/backend.hpp"
#include "domain/align.hpp"
#include "pipeline/catalog.hpp"
#include "pipeline/health.hpp"
#include "pipeline/options.hpp"
#include "pipeline/slices.hpp"
#include "pipeline/stats.hpp"

namespace ypa::pipeline {

struct SliceResult {
  SlicePlan plan;
  std::vector<domain::AlignedPrice> aligned;  // every aligned row of the slice (written when the run aligns)
  compute::StatsFrame iphones;
  compute::FeatureFrame iphone_features;
  compute::StatsFrame cohorts;
  compute::FeatureFrame cohort_features;
  std::vector<ShopHealthRow> health;  // the shop_health rows completed by this slice
};

class SliceComputer {
 public:
  SliceComputer(const Catalog& catalog, const RunOptions& options, const BucketGrid& grid, compute::Backend& backend,
                RunStats& stats);

  // Starts the features from a known state (an incremental run continuing its own rows).
  void seed(compute::FeatureCarry iphones, compute::FeatureCarry cohorts);

  // From source records (alignment included).
  SliceResult compute(SourceSlice&& slice);
  // From price_aligned rows of this run read back from ClickHouse.
  SliceResult compute_from_aligned(const SlicePlan& plan, std::vector<domain::AlignedPrice>&& aligned);

 private:
  SliceResult finish(SliceResult result, bool health);

  const Catalog& catalog_;
  const RunOptions& options_;
  const BucketGrid& grid_;
  compute::Backend& backend_;
  RunStats& stats_;
  std::vector<compute::ProfileWeights> profiles_;
  std::vector<compute::CohortPlan> cohort_plans_;
  domain::FeatureParams feature_params_;
  compute::FeatureCarry iphone_carry_;
  compute::FeatureCarry cohort_carry_;
  std::optional<ShopHealth> health_;  // when the run writes shop_health (docs/shop-health.md)
};

}  // namespace ypa::pipeline
