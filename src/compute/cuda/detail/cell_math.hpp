// The per-thread arithmetic of the CUDA kernels, written once for host and device: the kernels call it
// on the GPU, and tests/gpu/cuda_math_test.cpp runs the very same code on the CPU against the domain
// definitions, so the algorithms are checked on machines without a GPU. Plain C++ under g++.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define YPA_HD __host__ __device__ __forceinline__
#else
#define YPA_HD inline
#endif
// Only nvcc's device pass knows the pragma (its host pass hands the code to g++).
#if defined(__CUDA_ARCH__)
#define YPA_UNROLL _Pragma("unroll")
#else
#define YPA_UNROLL
#endif

namespace ypa::compute::cuda::detail {

YPA_HD double quiet_nan() {
  return __builtin_nan("");
}
YPA_HD bool is_missing(double x) {
  return x != x;
}

// ---------------------------------------------------------------------------------------------------
// Aggregate of one (iPhone, bucket) over at most N shops, N a power of two. The prices live in an
// array of N registers (every index is a compile-time constant once the loops are unrolled), and the
// median comes from a bitonic sorting network over them. Sums run in shop order, as on the CPU, so
// with contraction off (-fmad=false) the mean, the filter decisions and the std match bit for bit.

struct CellStats {
  double mean, median, std, dispersion;
  std::uint16_t shop_count;
};

template <int N>
YPA_HD void bitonic_sort(double (&v)[N]) {
  YPA_UNROLL
  for (int k = 2; k <= N; k <<= 1) {
    YPA_UNROLL
    for (int j = k >> 1; j > 0; j >>= 1) {
      YPA_UNROLL
      for (int i = 0; i < N; ++i) {
        const int l = i ^ j;
        if (l > i) {
          const double a = v[i], b = v[l];
          const double lo = fmin(a, b), hi = fmax(a, b);
          const bool ascending = (i & k) == 0;
          v[i] = ascending ? lo : hi;
          v[l] = ascending ? hi : lo;
        }
      }
    }
  }
}

// v[index] without a dynamic register index.
template <int N>
YPA_HD double pick(const double (&v)[N], int index) {
  double r = 0;
  YPA_UNROLL
  for (int i = 0; i < N; ++i) r = i == index ? v[i] : r;
  return r;
}

// row: the cell's n_shops prices (NaN = no row), n_shops <= N. weights: n_profiles rows of n_shops
// shop weights; profile p's price goes to profile_out[p * profile_stride].
template <int N>
YPA_HD CellStats aggregate_cell(const double* row, int n_shops, double band, const double* weights,
                                int n_profiles, double* profile_out, std::size_t profile_stride) {
  static_assert(N <= 64, "the kept mask is one 64-bit word");
  double v[N];
  int n = 0;
  double sum = 0;
  YPA_UNROLL
  for (int k = 0; k < N; ++k) {
    v[k] = k < n_shops ? row[k] : quiet_nan();
    if (!is_missing(v[k])) {
      sum += v[k];
      ++n;
    }
  }
  CellStats s{quiet_nan(), quiet_nan(), quiet_nan(), quiet_nan(), 0};
  if (n == 0) {
    for (int p = 0; p < n_profiles; ++p) profile_out[p * profile_stride] = quiet_nan();
    return s;
  }
  // Outlier filter (SPEC §4, step 2): mean band around the mean of all, keep all when none would be kept.
  std::uint64_t present = 0, kept = 0;
  YPA_UNROLL
  for (int k = 0; k < N; ++k) present |= is_missing(v[k]) ? 0 : (std::uint64_t{1} << k);
  kept = present;
  if (band > 0 && n >= 3) {
    const double m0 = sum / n;
    const double limit = band * m0;
    std::uint64_t inside = 0;
    YPA_UNROLL
    for (int k = 0; k < N; ++k) {
      if (!is_missing(v[k]) && fabs(v[k] - m0) <= limit) inside |= std::uint64_t{1} << k;
    }
    if (inside != 0) kept = inside;
  }
  int kn = 0;
  double ksum = 0;
  YPA_UNROLL
  for (int k = 0; k < N; ++k) {
    if ((kept >> k) & 1) {
      ksum += v[k];
      ++kn;
    }
  }
  s.mean = ksum / kn;
  s.shop_count = static_cast<std::uint16_t>(kn);
  if (kn >= 2) {
    double ss = 0;
    YPA_UNROLL
    for (int k = 0; k < N; ++k) {
      if ((kept >> k) & 1) ss += (v[k] - s.mean) * (v[k] - s.mean);
    }
    s.std = sqrt(ss / (kn - 1));
    s.dispersion = s.std / s.mean;
  }
  // Shop-weighted price per profile over the kept prices of shops with weight > 0 (SPEC §6).
  for (int p = 0; p < n_profiles; ++p) {
    const double* w = weights + static_cast<std::size_t>(p) * n_shops;
    double weighted = 0, total = 0;
    YPA_UNROLL
    for (int k = 0; k < N; ++k) {
      if (k < n_shops && ((kept >> k) & 1) && w[k] > 0) {
        weighted += w[k] * v[k];
        total += w[k];
      }
    }
    profile_out[p * profile_stride] = total > 0 ? weighted / total : quiet_nan();
  }
  // Median: filtered-out and missing prices sort last as +inf.
  YPA_UNROLL
  for (int k = 0; k < N; ++k) v[k] = ((kept >> k) & 1) ? v[k] : INFINITY;
  bitonic_sort(v);
  const double upper = pick(v, kn / 2);
  s.median = kn % 2 == 1 ? upper : (pick(v, kn / 2 - 1) + upper) / 2;
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Order statistic by rank counting, for the cohort median over any number of members: the element v
// with #{u < v} <= r < #{u <= v}. O(n^2) compares over at most a few dozen members, no scratch memory.
template <typename Values>
YPA_HD double order_statistic(const Values& values, int n, int r) {
  for (int i = 0; i < n; ++i) {
    const double v = values(i);
    if (is_missing(v)) continue;
    int less = 0, less_equal = 0;
    for (int j = 0; j < n; ++j) {
      const double u = values(j);
      if (is_missing(u)) continue;
      less += u < v;
      less_equal += u <= v;
    }
    if (less <= r && r < less_equal) return v;
  }
  return quiet_nan();
}

struct CohortCell {
  double mean, median, std, dispersion;
  std::uint32_t shop_count;
  std::uint16_t n_models;
};

// Members: price(m) (NaN = absent at this bucket), shops(m) (its shop count) and weight(m), m < n_members.
// Sums in member order, as domain::cohort_stats.
template <typename Members>
YPA_HD CohortCell cohort_cell(const Members& members, int n_members) {
  CohortCell c{quiet_nan(), quiet_nan(), quiet_nan(), quiet_nan(), 0, 0};
  double weighted = 0, total = 0, plain = 0;
  int n = 0;
  for (int m = 0; m < n_members; ++m) {
    const double p = members.price(m);
    if (is_missing(p)) continue;
    weighted += members.weight(m) * p;
    total += members.weight(m);
    plain += p;
    c.shop_count += members.shops(m);
    ++n;
  }
  if (n == 0) return c;
  c.n_models = static_cast<std::uint16_t>(n);
  c.mean = weighted / total;
  if (n >= 2) {
    const double center = plain / n;
    double ss = 0;
    for (int m = 0; m < n_members; ++m) {
      const double p = members.price(m);
      if (!is_missing(p)) ss += (p - center) * (p - center);
    }
    c.std = sqrt(ss / (n - 1));
    c.dispersion = c.std / c.mean;
  }
  auto price = [&members](int m) { return members.price(m); };
  const double upper = order_statistic(price, n_members, n / 2);
  c.median = n % 2 == 1 ? upper : (order_statistic(price, n_members, n / 2 - 1) + upper) / 2;
  return c;
}

// ---------------------------------------------------------------------------------------------------
// EMA as a scan (SPEC §5, pandas adjust=False, ignore_na=True). State: e, or "no value yet". A present
// x maps e to a*x + (1-a)*e, or to x when there is no value yet; a missing x leaves e. Each such map
// is f(e) = A*e + B for a valid e and f(none) = C, and a composition of them has the same form, so the
// series is an inclusive scan under composition, an associative operator (Blelloch 1990):
//   (l then r) = {A_l A_r, A_r B_l + B_r, A_r C_l + B_r}, identity = "leaves e".
struct EmaMap {
  int any;  // 0 = identity (no present value in the span)
  double a, b, c;
};

YPA_HD EmaMap ema_identity() {
  return EmaMap{0, 1.0, 0.0, 0.0};
}

YPA_HD EmaMap ema_step(double x, double alpha) {
  if (is_missing(x)) return ema_identity();
  return EmaMap{1, 1 - alpha, alpha * x, x};
}

// l first, then r.
YPA_HD EmaMap ema_then(const EmaMap& l, const EmaMap& r) {
  if (r.any == 0) return l;
  if (l.any == 0) return r;
  return EmaMap{1, l.a * r.a, r.a * l.b + r.b, r.a * l.c + r.b};
}

YPA_HD double ema_apply(const EmaMap& m, double e) {
  if (m.any == 0) return e;
  if (is_missing(e)) return m.c;
  return m.a * e + m.b;
}

// The CPU's own recursion for one step, used by each thread once it knows its starting value.
YPA_HD double ema_advance(double e, double x, double alpha) {
  if (is_missing(x)) return e;
  return is_missing(e) ? x : alpha * x + (1 - alpha) * e;
}

// The feature kernels' decomposition of the time axis: a block of kFeatureThreads threads per tile, each
// thread owning kFeatureChunk consecutive buckets (rolling_chunk restarts its sums at every chunk).
inline constexpr int kFeatureThreads = 128;
inline constexpr int kFeatureChunk = 8;

// ---------------------------------------------------------------------------------------------------
// Rolling SMA / WMA / sample std over the present values of the last w buckets, for `count`
// consecutive outputs at t0 .. t0+count-1 of y (y[t0-w+1 ..] must be readable).
// - The first output takes the CPU's direct sums (the same result).
// - The following ones slide the count, the sum and the weighted sum of d = y - ref, with ref = the
//   first output's window mean, so drift is bounded by `count` steps and the sums stay small.
// - The variance is always summed directly around the window's mean (one pass over the window): a
//   sliding sum of squares cannot return to an exact zero when a far value leaves a flat window, and
//   the square root would turn that residue into a visible band width.
// Outputs: sma/wma/sd[i * stride], NaN where undefined (sd needs 2 present values).
YPA_HD double window_sd(const double* y, int t, int w, int n, double mean) {
  if (n < 2) return quiet_nan();
  double ss = 0;
  for (int j = t - w + 1; j <= t; ++j) {
    const double v = y[j];
    if (!is_missing(v)) ss += (v - mean) * (v - mean);
  }
  return sqrt(ss / (n - 1));
}

YPA_HD void rolling_chunk(const double* y, int t0, int count, int w, double* sma, double* wma, double* sd,
                          int stride) {
  if (count <= 0) return;
  const int start = t0 - w + 1;
  double sum = 0, weighted = 0, weights = 0;
  int n = 0;
  for (int j = start; j <= t0; ++j) {
    const double v = y[j];
    if (is_missing(v)) continue;
    const double weight = static_cast<double>(j - start + 1);
    sum += v;
    weighted += weight * v;
    weights += weight;
    ++n;
  }
  double ref = quiet_nan(), s1 = 0, ws = 0, wts = 0;
  if (n == 0) {
    sma[0] = wma[0] = sd[0] = quiet_nan();
  } else {
    const double mean = sum / n;
    ref = mean;
    for (int j = start; j <= t0; ++j) {
      const double v = y[j];
      if (is_missing(v)) continue;
      s1 += v - mean;
      ws += static_cast<double>(j - start + 1) * (v - mean);
    }
    wts = weights;
    sma[0] = mean;
    wma[0] = weighted / weights;
    sd[0] = window_sd(y, t0, w, n, mean);
  }
  for (int i = 1; i < count; ++i) {
    const int t = t0 + i;
    // Every weight drops by one; the oldest value (weight 1) leaves.
    ws -= s1;
    wts -= n;
    const double leaving = y[t - w];
    if (!is_missing(leaving)) {
      s1 -= leaving - ref;
      --n;
      if (n == 0) {  // an empty window restarts the sums exactly
        s1 = ws = wts = 0;
        ref = quiet_nan();
      }
    }
    const double entering = y[t];
    if (!is_missing(entering)) {
      if (is_missing(ref)) ref = entering;
      s1 += entering - ref;
      ws += w * (entering - ref);
      wts += w;
      ++n;
    }
    if (n == 0) {
      sma[i * stride] = wma[i * stride] = sd[i * stride] = quiet_nan();
      continue;
    }
    const double mean = ref + s1 / n;
    sma[i * stride] = mean;
    wma[i * stride] = ref + ws / wts;
    sd[i * stride] = window_sd(y, t, w, n, mean);
  }
}

}  // namespace ypa::compute::cuda::detail
