// Which CUDA devices this process can use. Plain C++: callers never see CUDA headers.
#pragma once

#include <string>
#include <vector>

namespace ypa::compute::cuda {

struct DeviceInfo {
  int index = 0;
  std::string name;
  std::size_t memory_bytes = 0;
  int compute_major = 0;
  int compute_minor = 0;
};

// Empty when the driver reports no device (or no driver is installed).
std::vector<DeviceInfo> list_devices();

}  // namespace ypa::compute::cuda
