// Cohorts (SPEC §6): a weighted group of iPhones, optionally with shop weights, aggregated per bucket.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace ypa::domain {

struct CohortMember {
  std::uint32_t iphone_id = 0;
  double weight = 1.0;  // > 0
};

struct CohortSpec {
  std::string slug;
  std::vector<CohortMember> members;
  // Shop weights of the cohort's profile; empty = no profile. Unlisted shops weigh 1.
  bool has_profile = false;
  std::map<std::uint32_t, double> shop_weights;

  double shop_weight(std::uint32_t shop_id) const {
    auto it = shop_weights.find(shop_id);
    return it == shop_weights.end() ? 1.0 : it->second;
  }
};

struct CohortStats {
  double mean = NAN;
  double median = NAN;
  double std = NAN;
  double dispersion = NAN;
  std::uint32_t shop_count = 0;
  std::uint16_t n_models = 0;
};

// One member at one bucket: its price p_m (NaN = absent) and its shop count.
struct MemberPoint {
  double price = NAN;
  std::uint16_t shop_count = 0;
};

// Aggregates the members present at one bucket; `weights` parallels `points`.
// `scratch` is reused between calls.
CohortStats cohort_stats(std::span<const MemberPoint> points, std::span<const double> weights,
                         std::vector<double>& scratch);

// A member's price with a shop profile: the shop-weighted mean of its kept prices over shops of weight
// > 0; NaN when there is none.
double profile_price(std::span<const double> kept_prices, std::span<const double> shop_weights);

}  // namespace ypa::domain
