#include "compute/backend_factory.hpp"

#include <charconv>

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
