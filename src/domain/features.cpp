#include "domain/features.hpp"

#include <algorithm>

namespace ypa::domain {

int FeatureParams::max_window() const {
  int m = 1;
  for (int w : window_buckets) m = std::max(m, w);
  return m;
}

SeriesCarry initial_carry(const FeatureParams& params) {
  SeriesCarry c;
  c.ema.assign(params.window_buckets.size(), NAN);
  c.tail.assign(static_cast<std::size_t>(params.max_window() - 1), NAN);
  return c;
}

std::vector<WindowFeatures> series_features(std::span<const double> x, SeriesCarry& carry,
                                            const FeatureParams& params) {
  const std::size_t history = carry.tail.size();
  const std::size_t n = x.size();
  // y = tail followed by the batch, so every window can look back max_window - 1 buckets.
  std::vector<double> y(carry.tail);
  y.insert(y.end(), x.begin(), x.end());

  std::vector<WindowFeatures> out(params.window_buckets.size());
  for (std::size_t wi = 0; wi < params.window_buckets.size(); ++wi) {
    const auto w = static_cast<std::size_t>(params.window_buckets[wi]);
    const double alpha = 2.0 / (static_cast<double>(w) + 1.0);
    WindowFeatures& f = out[wi];
    for (auto* v : {&f.ema, &f.sma, &f.wma, &f.boll_mid, &f.boll_up, &f.boll_low, &f.boll_width}) v->assign(n, NAN);
    double& ema = carry.ema[wi];
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t t = history + i;
      const double xt = y[t];
      if (!std::isnan(xt)) ema = std::isnan(ema) ? xt : alpha * xt + (1 - alpha) * ema;
      f.ema[i] = ema;
      // Window y[t-w+1 .. t]: present values only. Direct sums (no sliding state) keep every value
      // independent of the batch boundaries and of accumulated rounding.
      const std::size_t start = t + 1 - w;
      double sum = 0, weighted = 0, weights = 0;
      std::size_t count = 0;
      for (std::size_t j = start; j <= t; ++j) {
        const double v = y[j];
        if (std::isnan(v)) continue;
        const double weight = static_cast<double>(j - start + 1);  // newest weight w, oldest 1
        sum += v;
        weighted += weight * v;
        weights += weight;
        ++count;
      }
      if (count == 0) continue;
      const double mean = sum / static_cast<double>(count);
      f.sma[i] = mean;
      f.boll_mid[i] = mean;
      f.wma[i] = weighted / weights;
      if (count >= 2) {
        double ss = 0;
        for (std::size_t j = start; j <= t; ++j) {
          if (!std::isnan(y[j])) ss += (y[j] - mean) * (y[j] - mean);
        }
        const double sd = std::sqrt(ss / static_cast<double>(count - 1));
        f.boll_up[i] = mean + params.boll_k * sd;
        f.boll_low[i] = mean - params.boll_k * sd;
        f.boll_width[i] = f.boll_up[i] - f.boll_low[i];
      }
    }
  }
  // Keep the last history values for the next batch.
  std::copy(y.end() - static_cast<std::ptrdiff_t>(history), y.end(), carry.tail.begin());
  return out;
}

}  // namespace ypa::domain
