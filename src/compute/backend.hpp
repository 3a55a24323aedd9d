// The computation every backend provides (SPEC §4-6), over the dense frames of frame.hpp. The CPU
// backend is the reference; the CUDA backend mirrors it to 1e-9 relative.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "compute/frame.hpp"
#include "domain/aggregate.hpp"
#include "domain/features.hpp"

namespace ypa::compute {

// Feature state of every series, carried from one batch to the next.
struct FeatureCarry {
  std::vector<domain::SeriesCarry> series;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // "cpu" or "cuda:N", for the run summary.
  virtual std::string name() const = 0;

  // Cross-shop aggregate of every (iPhone, bucket) with the outlier filter; with profiles, also each
  // iPhone's shop-weighted price per profile (for cohorts).
  virtual StatsFrame aggregate(const PriceCube& cube, const domain::AggregateParams& params,
                               std::span<const ProfileWeights> profiles, ProfilePrices* profile_prices) = 0;

  // Cohort aggregates from the iPhones' aggregates (and profile prices for cohorts with a profile).
  virtual StatsFrame cohorts(const StatsFrame& iphones, const ProfilePrices& profile_prices,
                             std::span<const CohortPlan> cohorts) = 0;

  // Features of every series' mean over the batch; `carry` holds one entry per series and is advanced.
  virtual FeatureFrame features(const StatsFrame& stats, FeatureCarry& carry, const domain::FeatureParams& params) = 0;
};

// The CPU backend, using all cores.
std::unique_ptr<Backend> make_cpu_backend();

}  // namespace ypa::compute
