// run_pipeline on cuda:0 against a cpu run of the same generated data, compared by compare_runs at
// 1e-9 (labels gpu and integration: needs `ypa stack` and a GPU). Without a GPU it is skipped and says
// so; with a GPU but no stack it fails like every integration test.
#include <gtest/gtest.h>

#include "compute/backend_factory.hpp"
#include "support/run_command.hpp"
#include "support/stack_env.hpp"

namespace ypa::testing {
namespace {

class CudaPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!compute::cuda_built() || compute::cuda_device_count() == 0) {
      const char* why =
          compute::cuda_built() ? "no CUDA GPU on this machine" : "this build has no CUDA backend";
      std::printf("YPA_GPU_SKIPPED: %s\n", why);
      GTEST_SKIP() << why;
    }
    clickhouse_settings();  // fails the test when the stack's variables are missing
    name_ = unique_name("gpu_pipe");
    ASSERT_EQ(run_command({"psql", "-XAtq", "-d", "postgres", "-c", "CREATE DATABASE " + name_}).exit_code,
              0);
    ASSERT_EQ(ypa({"init", "--source-schema"}).exit_code, 0);
    ASSERT_EQ(ypa({"init"}).exit_code, 0);
    auto gen = ypa({"datagen", "--shops", "24", "--iphones", "20", "--from", "2025-03-01", "--to",
                    "2025-04-30", "--seed", "7"});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
  }
  void TearDown() override {
    if (name_.empty()) return;
    run_command(
        {"psql", "-XAtq", "-d", "postgres", "-c", "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"});
    auto ch = clickhouse_settings();
    run_command({"clickhouse-client", "--host", ch.host, "--port", std::to_string(ch.port), "--query",
                 "DROP DATABASE IF EXISTS " + name_});
  }
  CommandResult ypa(const std::vector<std::string>& args) const {
    return run_ypa(args, {"PGDATABASE=" + name_, "CLICKHOUSE_DB=" + name_});
  }
  std::string name_;
};

TEST_F(CudaPipelineTest, CudaRunEqualsTheCpuRunOnGeneratedData) {
  // Batches of 7 days: the GPU carries feature state across batches too.
  const std::vector<std::string> range{"--from", "2025-04-01", "--to", "2025-04-30", "--batch-days", "7"};
  auto run = [&](const std::string& id, const std::string& device) {
    std::vector<std::string> args{"run_pipeline", "--run-id", id, "--device", device};
    args.insert(args.end(), range.begin(), range.end());
    return ypa(args);
  };
  auto cpu = run("on_cpu", "cpu");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  auto gpu = run("on_cuda", "cuda:0");
  ASSERT_EQ(gpu.exit_code, 0) << gpu.err;
  EXPECT_NE(gpu.out.find("cuda:0"), std::string::npos) << gpu.out;
  auto automatic = run("on_auto", "auto");
  ASSERT_EQ(automatic.exit_code, 0) << automatic.err;
  EXPECT_NE(automatic.out.find("cuda:0"), std::string::npos) << automatic.out;
  for (const char* target : {"on_cuda", "on_auto"}) {
    auto cmp = ypa({"compare_runs", "--base", "on_cpu", "--target", target, "--tolerance", "1e-9"});
    EXPECT_EQ(cmp.exit_code, 0) << cmp.out << cmp.err;
  }
}

}  // namespace
}  // namespace ypa::testing
