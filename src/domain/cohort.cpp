#include "domain/cohort.hpp"

#include "domain/aggregate.hpp"

namespace ypa::domain {

double profile_price(std::span<const double> kept_prices, std::span<const double> shop_weights) {
  double weighted = 0, total = 0;
  for (std::size_t i = 0; i < kept_prices.size(); ++i) {
    if (shop_weights[i] <= 0) continue;
    weighted += shop_weights[i] * kept_prices[i];
    total += shop_weights[i];
  }
  return total > 0 ? weighted / total : NAN;
}

CohortStats cohort_stats(std::span<const MemberPoint> points, std::span<const double> weights,
                         std::vector<double>& scratch) {
  CohortStats s;
  scratch.clear();
  double weighted = 0, total = 0;
  for (std::size_t m = 0; m < points.size(); ++m) {
    if (std::isnan(points[m].price)) continue;
    weighted += weights[m] * points[m].price;
    total += weights[m];
    s.shop_count += points[m].shop_count;
    scratch.push_back(points[m].price);
  }
  if (scratch.empty()) return s;
  s.n_models = static_cast<std::uint16_t>(scratch.size());
  s.mean = weighted / total;
  double plain = 0;
  for (double p : scratch) plain += p;
  s.std = sample_std(scratch, plain / static_cast<double>(scratch.size()));
  s.dispersion = std::isnan(s.std) ? NAN : s.std / s.mean;
  s.median = median_in_place(scratch);
  return s;
}

}  // namespace ypa::domain
