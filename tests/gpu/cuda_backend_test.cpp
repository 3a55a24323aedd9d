// The CUDA backend against the CPU reference on the GPU (label gpu). Without a GPU, or in a build
// without CUDA, every case is skipped and says why; CTest reports the test as skipped.
#include <gtest/gtest.h>

#include <cstdlib>

#include "compute/backend_factory.hpp"
#include "core/errors.hpp"
#include "gpu/check_names.hpp"
#include "gpu/checks.hpp"

namespace ypa::testing::gpu {
namespace {

// CTest's SKIP_REGULAR_EXPRESSION matches this line (tests/gpu/CMakeLists.txt).
std::string skip_reason() {
  if (!compute::cuda_built())
    return "YPA_GPU_SKIPPED: this build has no CUDA backend (configured without nvcc)";
  if (compute::cuda_device_count() == 0) return "YPA_GPU_SKIPPED: no CUDA GPU on this machine";
  return "";
}

// YPA_GPU_LARGE=0 leaves out the 160-series year (about 1 GB of prices) on small GPUs.
const std::vector<Check>& checks() {
  const char* large = std::getenv("YPA_GPU_LARGE");
  static const std::vector<Check> all = backend_checks(large == nullptr || std::string(large) != "0");
  return all;
}

class CudaBackendTest : public ::testing::TestWithParam<std::size_t> {};

TEST_P(CudaBackendTest, AgreesWithTheCpuBackend) {
  if (auto reason = skip_reason(); !reason.empty()) {
    std::printf("%s\n", reason.c_str());
    GTEST_SKIP() << reason;
  }
  auto cpu = compute::make_cpu_backend();
  auto cuda = compute::make_backend("cuda:0");
  const Check& check = checks()[GetParam()];
  CheckOutcome o = check.run(*cpu, *cuda);
  EXPECT_TRUE(o.ok) << check.name << ": " << o.detail;
  std::printf("%s: %s\n", check.name.c_str(), o.detail.c_str());
}

INSTANTIATE_TEST_SUITE_P(Checks, CudaBackendTest, ::testing::Range<std::size_t>(0, checks().size()),
                         [](const ::testing::TestParamInfo<std::size_t>& p) {
                           return check_test_name(p.param, checks()[p.param].name);
                         });

TEST(CudaDeviceTest, NamesItselfAndRefusesMissingDevices) {
  if (auto reason = skip_reason(); !reason.empty()) {
    std::printf("%s\n", reason.c_str());
    GTEST_SKIP() << reason;
  }
  EXPECT_EQ(compute::make_backend("cuda:0")->name(), "cuda:0");
  EXPECT_THROW(compute::make_backend("cuda:63"), InputError);
}

}  // namespace
}  // namespace ypa::testing::gpu
