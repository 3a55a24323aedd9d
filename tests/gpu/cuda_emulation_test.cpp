// The CUDA kernels' arithmetic and decomposition, run on the CPU (emulated_backend.cpp), against the
// CPU reference: the same checks the GPU suite runs, so the formulation is tested on every machine.
#include <gtest/gtest.h>

#include <random>

#include "compute/cuda/detail/cell_math.hpp"
#include "gpu/check_names.hpp"
#include "gpu/checks.hpp"
#include "gpu/emulated_backend.hpp"

namespace ypa::testing::gpu {
namespace {

namespace d = compute::cuda::detail;

const std::vector<Check>& checks() {
  static const std::vector<Check> all = backend_checks(false);
  return all;
}

class EmulatedCudaTest : public ::testing::TestWithParam<std::size_t> {};

TEST_P(EmulatedCudaTest, AgreesWithTheCpuBackend) {
  auto cpu = compute::make_cpu_backend();
  auto emulated = make_emulated_cuda_backend();
  const Check& check = checks()[GetParam()];
  CheckOutcome o = check.run(*cpu, *emulated);
  EXPECT_TRUE(o.ok) << check.name << ": " << o.detail;
  std::printf("%s: %s\n", check.name.c_str(), o.detail.c_str());
}

INSTANTIATE_TEST_SUITE_P(Checks, EmulatedCudaTest, ::testing::Range<std::size_t>(0, checks().size()),
                         [](const ::testing::TestParamInfo<std::size_t>& p) {
                           return check_test_name(p.param, checks()[p.param].name);
                         });

TEST(EmaScanTest, CompositionIsAssociativeAndMatchesTheRecursion) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> price(50000, 150000);
  for (int trial = 0; trial < 200; ++trial) {
    const double alpha = 2.0 / (1 + static_cast<int>(rng() % 200) + 1.0);
    std::vector<double> x(1 + rng() % 300);
    for (auto& v : x) v = rng() % 4 == 0 ? NAN : price(rng);
    double e0 = rng() % 3 == 0 ? NAN : price(rng);
    double sequential = e0;
    for (double v : x) sequential = d::ema_advance(sequential, v, alpha);
    // Left fold, and a split at a random point composed afterwards.
    d::EmaMap left = d::ema_identity(), a = d::ema_identity(), b = d::ema_identity();
    const std::size_t split = rng() % (x.size() + 1);
    for (std::size_t i = 0; i < x.size(); ++i) {
      left = d::ema_then(left, d::ema_step(x[i], alpha));
      (i < split ? a : b) = d::ema_then(i < split ? a : b, d::ema_step(x[i], alpha));
    }
    const double folded = d::ema_apply(left, e0), split_result = d::ema_apply(d::ema_then(a, b), e0);
    ASSERT_EQ(std::isnan(sequential), std::isnan(folded));
    if (std::isnan(sequential)) continue;
    EXPECT_NEAR(folded, sequential, 1e-11 * sequential);
    EXPECT_NEAR(split_result, sequential, 1e-11 * sequential);
  }
}

TEST(AggregateCellTest, SortingNetworkAndMedianOfTies) {
  double row[5] = {300, 100, 300, NAN, 200};
  const d::CellStats s = d::aggregate_cell<16>(row, 5, 0.0, nullptr, 0, nullptr, 0);
  EXPECT_EQ(s.shop_count, 4);
  EXPECT_EQ(s.median, 250);
  EXPECT_EQ(s.mean, 225);
  double v[8] = {5, -1, 3, 3, INFINITY, 0, 2, 9};
  d::bitonic_sort(v);
  EXPECT_TRUE(std::is_sorted(std::begin(v), std::end(v)));
}

TEST(CohortCellTest, OrderStatisticsSkipAbsentMembers) {
  const double values[] = {4, NAN, 1, 4, 2};
  auto at = [&](int i) { return values[i]; };
  EXPECT_EQ(d::order_statistic(at, 5, 0), 1);
  EXPECT_EQ(d::order_statistic(at, 5, 1), 2);
  EXPECT_EQ(d::order_statistic(at, 5, 2), 4);
  EXPECT_EQ(d::order_statistic(at, 5, 3), 4);
}

}  // namespace
}  // namespace ypa::testing::gpu
