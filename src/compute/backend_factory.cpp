#include "compute/backend_factory.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/env.hpp"
#include "core/errors.hpp"
#if defined(YPA_WITH_CUDA)
#include "compute/cuda/cuda_backend.hpp"
#include "compute/cuda/device_info.hpp"
#endif

namespace ypa::compute {

bool cuda_built() {
#if defined(YPA_WITH_CUDA)
  return true;
#else
  return false;
#endif
}

int cuda_device_count() {
#if defined(YPA_WITH_CUDA)
  return static_cast<int>(cuda::list_devices().size());
#else
  return 0;
#endif
}

DeviceChoice resolve_device(const std::string& requested, const std::string& source) {
  // A flag reads "--device cuda:0", a variable "PIPELINE_DEVICE=cuda:0", as the user wrote them.
  const bool flag = source.rfind("--", 0) == 0;
  const std::string given = source + (flag ? " " : "=") + requested;
  if (requested == "cpu") return {"cpu", ""};
  if (requested == "auto") {
    if (cuda_device_count() > 0) return {"cuda:0", ""};
    return {"cpu",
            cuda_built() ? "auto: no CUDA GPU on this machine" : "auto: this build has no CUDA backend"};
  }
  if (requested.rfind("cuda:", 0) == 0) {
    auto index = env::parse_int(requested.substr(5), source + " cuda:N", 0, 63);
    if (!cuda_built()) throw InputError(fmt::format("{}: this build has no CUDA backend; use cpu", given));
    const int count = cuda_device_count();
    if (count == 0) throw InputError(fmt::format("{}: no CUDA GPU on this machine", given));
    if (index >= count) throw InputError(fmt::format("{}: this machine has {} CUDA GPU(s)", given, count));
    return {requested, ""};
  }
  throw InputError(
      fmt::format("{}{}'{}': expected cpu, auto or cuda:N", source, flag ? " " : "=", requested));
}

std::unique_ptr<Backend> make_backend(const std::string& device) {
  if (device == "cpu") return make_cpu_backend();
  if (device.rfind("cuda:", 0) == 0) {
    int index = -1;
    const char* first = device.data() + 5;
    const char* last = device.data() + device.size();
    auto [end, ec] = std::from_chars(first, last, index);
    if (ec != std::errc{} || end != last || first == last || index < 0) {
      throw InputError("device '" + device + "': expected cuda:N");
    }
#if defined(YPA_WITH_CUDA)
    return make_cuda_backend(index);
#else
    throw InputError("device " + device + ": this build has no CUDA backend (configured without nvcc)");
#endif
  }
  throw InputError("device '" + device + "': expected cpu or cuda:N");
}

}  // namespace ypa::compute
