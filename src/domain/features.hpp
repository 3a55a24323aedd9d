// Features of one scope series (SPEC §5): EMA, SMA, WMA and Bollinger bands per window, over the
// present values of the contiguous bucket grid. Batches carry state (the EMA and the last values of
// the series), so results do not depend on where a batch starts.
#pragma once

#include <cmath>
#include <span>
#include <vector>

namespace ypa::domain {

struct FeatureParams {
  std::vector<int> window_buckets;  // e.g. 8, 60, 120
  double boll_k = 2.0;
  int max_window() const;
};

// What one series carries from one batch to the next.
struct SeriesCarry {
  std::vector<double> ema;   // per window; NaN until the first present value
  std::vector<double> tail;  // the last max_window - 1 values before the batch (NaN = missing), oldest first
};

SeriesCarry initial_carry(const FeatureParams& params);

// Per window, one value per bucket of the batch (NaN = NULL).
struct WindowFeatures {
  std::vector<double> ema, sma, wma, boll_mid, boll_up, boll_low, boll_width;
};

// x: the series over the batch's buckets, NaN where the scope has no aggregate. Returns one
// WindowFeatures per window and advances `carry` past the batch.
std::vector<WindowFeatures> series_features(std::span<const double> x, SeriesCarry& carry,
                                            const FeatureParams& params);

}  // namespace ypa::domain
