// The cross-shop aggregate of one (iPhone, bucket) (SPEC §4): mean-band outlier filter, then mean,
// median, sample std, shop count and dispersion over the kept prices.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace ypa::domain {

struct AggregateParams {
  double outlier_band = 0.25;  // 0 disables the filter
};

struct BucketStats {
  double mean = NAN;
  double median = NAN;
  double std = NAN;         // NaN (NULL) with fewer than 2 kept prices
  double dispersion = NAN;  // std / mean, NaN when std is
  std::uint16_t shop_count = 0;
};

// Marks which prices survive the filter: with 3 or more prices, m0 = mean of all and a price p is kept
// when |p - m0| <= band * m0; when none would be kept, all are kept. `keep` has prices.size() entries.
void outlier_filter(std::span<const double> prices, double band, std::span<bool> keep);

// Statistics over prices[i] where keep[i]. `scratch` is reused between calls to avoid allocations.
BucketStats kept_stats(std::span<const double> prices, std::span<const bool> keep, std::vector<double>& scratch);

// Median of `values` (reordered in place): the mean of the two middle values for an even count.
double median_in_place(std::span<double> values);
// Sample standard deviation (ddof 1) around `mean`; NaN for fewer than 2 values.
double sample_std(std::span<const double> values, double mean);

}  // namespace ypa::domain
