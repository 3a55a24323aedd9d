#include "domain/aggregate.hpp"

#include <algorithm>

namespace ypa::domain {

void outlier_filter(std::span<const double> prices, double band, std::span<bool> keep) {
  std::fill(keep.begin(), keep.end(), true);
  if (band <= 0 || prices.size() < 3) return;
  double sum = 0;
  for (double p : prices) sum += p;
  double m0 = sum / static_cast<double>(prices.size());
  double limit = band * m0;
  bool any = false;
  for (std::size_t i = 0; i < prices.size(); ++i) {
    keep[i] = std::abs(prices[i] - m0) <= limit;
    any = any || keep[i];
  }
  if (!any) std::fill(keep.begin(), keep.end(), true);
}

double median_in_place(std::span<double> values) {
  std::size_t n = values.size();
  if (n == 0) return NAN;
  auto mid = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values.begin(), mid, values.end());
  if (n % 2 == 1) return *mid;
  double upper = *mid;
  double lower = *std::max_element(values.begin(), mid);
  return (lower + upper) / 2;
}

double sample_std(std::span<const double> values, double mean) {
  if (values.size() < 2) return NAN;
  double ss = 0;
  for (double v : values) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(values.size() - 1));
}

BucketStats kept_stats(std::span<const double> prices, std::span<const bool> keep, std::vector<double>& scratch) {
  scratch.clear();
  for (std::size_t i = 0; i < prices.size(); ++i) {
    if (keep[i]) scratch.push_back(prices[i]);
  }
  BucketStats s;
  if (scratch.empty()) return s;
  double sum = 0;
  for (double v : scratch) sum += v;
  s.mean = sum / static_cast<double>(scratch.size());
  s.std = sample_std(scratch, s.mean);
  s.dispersion = std::isnan(s.std) ? NAN : s.std / s.mean;
  s.shop_count = static_cast<std::uint16_t>(scratch.size());
  s.median = median_in_place(scratch);
  return s;
}

}  // namespace ypa::domain
