// The backend comparisons the GPU suite runs: a candidate backend against the CPU reference on random
// frames of every size that matters to the kernels (0, 1, 31, 32, 33, 64, 65, 1000 and 35 040 buckets),
// shop axes around the kernels' register sizes, all-missing series, single-shop buckets, outliers,
// cohorts with and without profiles, and features sliced into batches that carry state.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "compute/backend.hpp"
#include "gpu/frames.hpp"

namespace ypa::testing::gpu {

// SPEC §5: CPU and CUDA agree to 1e-9 relative (|a - b| <= 1e-9 * max(1, |a|), NULLs in the same places).
inline constexpr double kTolerance = 1e-9;

struct CheckOutcome {
  bool ok = true;
  std::string detail;
};

struct Check {
  std::string name;
  std::function<CheckOutcome(compute::Backend& reference, compute::Backend& candidate)> run;
};

// large = true adds the one-year frame (35 040 buckets x 160 iPhones x 24 shops, about 1 GB); without it
// the year runs on 4 series, which keeps the suite fast on a CPU.
std::vector<Check> backend_checks(bool large);

}  // namespace ypa::testing::gpu
