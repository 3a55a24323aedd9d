#include "gpu/frames.hpp"

#include <cmath>
#include <cstdio>

namespace ypa::testing::gpu {
namespace {

// splitmix64: the same stream on every compiler and library, so a seed names one frame everywhere.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return uniform() < p; }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

std::string describe(double v) {
  return std::isnan(v) ? "NULL" : std::to_string(v);
}

}  // namespace

compute::PriceCube random_cube(const CubeShape& shape) {
  compute::PriceCube cube(shape.series, shape.buckets, shape.shops);
  Random rng(shape.seed);
  for (std::size_t s = 0; s < shape.series; ++s) {
    if (shape.all_missing_series && shape.series >= 2 && s == shape.series - 1) continue;
    double level = 40000 + 160000 * rng.uniform();
    std::vector<double> shop_offset(shape.shops);
    for (auto& o : shop_offset) o = 1 + 0.04 * (rng.uniform() - 0.5);
    for (std::size_t b = 0; b < shape.buckets; ++b) {
      // A random walk with occasional jumps, in whole yen: ties and repeated prices are common.
      level *= 1 + 0.002 * (rng.uniform() - 0.5) + (rng.chance(0.001) ? 0.05 * (rng.uniform() - 0.5) : 0);
      if (rng.chance(shape.gap_buckets)) continue;
      double* row = &cube.price[cube.offset(s, b)];
      if (rng.chance(shape.single_shop)) {
        const std::size_t k = rng.below(shape.shops);
        row[k] = std::round(level * shop_offset[k]);
        continue;
      }
      for (std::size_t k = 0; k < shape.shops; ++k) {
        if (rng.chance(shape.missing)) continue;
        double p = std::round(level * shop_offset[k] / 100) * 100;  // quotes in hundreds of yen
        if (rng.chance(shape.outliers)) p = std::round(p * (rng.chance(0.5) ? 0.3 : 2.2));
        row[k] = p;
      }
    }
  }
  return cube;
}

std::vector<compute::ProfileWeights> random_profiles(std::size_t shops, std::size_t n, std::uint64_t seed) {
  Random rng(seed ^ 0x5EED);
  std::vector<compute::ProfileWeights> profiles(n);
  for (auto& p : profiles) {
    p.by_shop.resize(shops);
    for (auto& w : p.by_shop) w = rng.chance(0.2) ? 0.0 : (rng.chance(0.5) ? 1.0 : 0.25 + 2 * rng.uniform());
  }
  // One profile that weighs a single shop only: members often have no weighted price.
  if (n >= 2 && shops >= 1) {
    std::fill(profiles[1].by_shop.begin(), profiles[1].by_shop.end(), 0.0);
    profiles[1].by_shop[0] = 1.0;
  }
  return profiles;
}

std::vector<compute::CohortPlan> random_cohorts(std::size_t n_series, std::size_t n, std::size_t n_profiles,
                                                std::uint64_t seed) {
  Random rng(seed ^ 0xC0407);
  std::vector<compute::CohortPlan> cohorts(n);
  if (n_series == 0) return cohorts;
  for (std::size_t c = 0; c < n; ++c) {
    auto& plan = cohorts[c];
    const std::size_t members = 1 + rng.below(std::min<std::size_t>(n_series, 12));
    for (std::size_t m = 0; m < members; ++m) {
      plan.member_series.push_back(rng.below(n_series));
      plan.member_weights.push_back(0.5 + 3 * rng.uniform());
    }
    if (n_profiles > 0 && c % 3 == 1) plan.profile = static_cast<int>(rng.below(n_profiles));
  }
  // The all-missing series as the only member of the last cohort: a cohort with no rows at all.
  if (n >= 2) {
    cohorts.back() = compute::CohortPlan{{n_series - 1}, {1.0}, -1};
  }
  return cohorts;
}

void Comparison::merge(const Comparison& other) {
  values += other.values;
  mismatches += other.mismatches;
  if (other.max_relative > max_relative) {
    max_relative = other.max_relative;
    worst = other.worst;
  }
  if (first_mismatch.empty()) first_mismatch = other.first_mismatch;
}

std::string Comparison::summary() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%zu values, %zu mismatches, max relative difference %.3g%s%s", values,
                mismatches, max_relative, worst.empty() ? "" : " at ", worst.c_str());
  return first_mismatch.empty() ? std::string(buf) : std::string(buf) + "; first: " + first_mismatch;
}

Comparison compare_values(const std::string& what, const std::vector<double>& reference,
                          const std::vector<double>& candidate, double tolerance) {
  Comparison c;
  if (reference.size() != candidate.size()) {
    c.mismatches = 1;
    c.first_mismatch = what + ": " + std::to_string(reference.size()) + " vs " +
                       std::to_string(candidate.size()) + " values";
    return c;
  }
  c.values = reference.size();
  for (std::size_t i = 0; i < reference.size(); ++i) {
    const double a = reference[i], b = candidate[i];
    bool bad = std::isnan(a) != std::isnan(b);
    if (!bad && !std::isnan(a)) {
      const double rel = std::abs(a - b) / std::max(1.0, std::abs(a));
      if (rel > c.max_relative) {
        c.max_relative = rel;
        c.worst = what + "[" + std::to_string(i) + "]";
      }
      bad = !(rel <= tolerance);
    }
    if (bad) {
      if (c.mismatches == 0)
        c.first_mismatch = what + "[" + std::to_string(i) + "]: " + describe(a) + " vs " + describe(b);
      ++c.mismatches;
    }
  }
  return c;
}

Comparison compare_stats(const compute::StatsFrame& reference, const compute::StatsFrame& candidate,
                         double tolerance) {
  Comparison c = compare_values("mean", reference.mean, candidate.mean, tolerance);
  c.merge(compare_values("median", reference.median, candidate.median, tolerance));
  c.merge(compare_values("std", reference.std, candidate.std, tolerance));
  c.merge(compare_values("dispersion", reference.dispersion, candidate.dispersion, tolerance));
  auto counts = [](const std::vector<std::uint16_t>& v) { return std::vector<double>(v.begin(), v.end()); };
  c.merge(compare_values("shop_count", counts(reference.shop_count), counts(candidate.shop_count), 0));
  c.merge(compare_values("n_models", counts(reference.n_models), counts(candidate.n_models), 0));
  return c;
}

Comparison compare_features(const compute::FeatureFrame& reference, const compute::FeatureFrame& candidate,
                            double tolerance) {
  if (reference.n_windows != candidate.n_windows || reference.n_series != candidate.n_series ||
      reference.n_buckets != candidate.n_buckets) {
    Comparison c;
    c.mismatches = 1;
    c.first_mismatch = "feature frame shapes differ";
    return c;
  }
  static const char* const kNames[] = {"ema", "sma", "wma", "boll_mid", "boll_up", "boll_low", "boll_width"};
  Comparison total;
  const std::size_t plane = reference.n_series * reference.n_buckets;
  for (std::size_t w = 0; w < reference.n_windows; ++w) {
    for (int k = 0; k < compute::kFeatureKinds; ++k) {
      const std::size_t first = reference.index(w, static_cast<compute::FeatureKind>(k), 0, 0);
      std::vector<double> a(reference.values.begin() + static_cast<std::ptrdiff_t>(first),
                            reference.values.begin() + static_cast<std::ptrdiff_t>(first + plane));
      std::vector<double> b(candidate.values.begin() + static_cast<std::ptrdiff_t>(first),
                            candidate.values.begin() + static_cast<std::ptrdiff_t>(first + plane));
      total.merge(compare_values(std::string(kNames[k]) + " window " + std::to_string(w), a, b, tolerance));
    }
  }
  return total;
}

}  // namespace ypa::testing::gpu
