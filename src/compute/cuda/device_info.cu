// Device discovery for `--device auto|cuda:N`; the kernels of the backend come with the engine.
#include <cuda_runtime.h>

#include "compute/cuda/device_info.hpp"

namespace ypa::compute::cuda {

std::vector<DeviceInfo> list_devices() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device / no driver" error
    return {};
  }
  std::vector<DeviceInfo> devices;
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    devices.push_back(DeviceInfo{i, prop.name, prop.totalGlobalMem, prop.major, prop.minor});
  }
  return devices;
}

}  // namespace ypa::compute::cuda
