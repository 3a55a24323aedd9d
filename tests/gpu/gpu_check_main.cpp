// `gpu_check [--emulated] [--small]`: every backend check of checks.hpp, CUDA (or, with --emulated,
// the kernels' arithmetic on the CPU) against the CPU backend, one line per check and a verdict; exit 0
// when all agree. scripts/gpu-check.sh runs it on the GPU machine, where GoogleTest may be missing.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>

#include "compute/backend_factory.hpp"
#include "gpu/checks.hpp"
#include "gpu/emulated_backend.hpp"

int main(int argc, char** argv) {
  using namespace ypa;
  bool emulated = false, large = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--emulated") == 0) {
      emulated = true;
    } else if (std::strcmp(argv[i], "--small") == 0) {
      large = false;
    } else {
      std::fprintf(stderr, "usage: gpu_check [--emulated] [--small]\n");
      return 2;
    }
  }
  try {
    std::unique_ptr<compute::Backend> candidate;
    if (emulated) {
      candidate = testing::gpu::make_emulated_cuda_backend();
    } else {
      if (!compute::cuda_built() || compute::cuda_device_count() == 0) {
        std::printf("gpu_check: %s\n",
                    compute::cuda_built() ? "no CUDA GPU on this machine" : "built without CUDA");
        return 3;
      }
      candidate = compute::make_backend("cuda:0");
    }
    auto cpu = compute::make_cpu_backend();
    int failed = 0, n = 0;
    std::printf("gpu_check: %s vs cpu, tolerance %g relative, NULLs in the same places\n",
                candidate->name().c_str(), testing::gpu::kTolerance);
    for (const auto& check : testing::gpu::backend_checks(large)) {
      ++n;
      auto start = std::chrono::steady_clock::now();
      testing::gpu::CheckOutcome o;
      try {
        o = check.run(*cpu, *candidate);
      } catch (const std::exception& e) {
        o = {false, std::string("threw: ") + e.what()};
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("%-4s %-72s %6.1fs  %s\n", o.ok ? "PASS" : "FAIL", check.name.c_str(), s, o.detail.c_str());
      std::fflush(stdout);
      failed += o.ok ? 0 : 1;
    }
    std::printf("gpu_check: %d of %d checks passed\n", n - failed, n);
    return failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_check: %s\n", e.what());
    return 2;
  }
}
