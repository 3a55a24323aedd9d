// Whether this machine has an NVIDIA GPU, asked of the driver's own tool rather than of ypa (the code
// under test), so that a test can assert the right outcome of `--device cuda:0` on the machine it runs
// on: success on a GPU machine, a one-line refusal elsewhere.
#pragma once

#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>

#include "support/run_command.hpp"

namespace ypa::testing {

// `nvidia-smi -L` prints one "GPU N: <name> (UUID: ...)" line per device. Without nvidia-smi (a machine
// without the driver, or a container given the devices but not the tool) the device files
// /dev/nvidia0, /dev/nvidia1 ... are counted instead.
inline int nvidia_gpu_count() {
  try {
    CommandResult r = run_command({"nvidia-smi", "-L"});
    if (r.exit_code == 0) {
      int count = 0;
      std::istringstream lines(r.out);
      for (std::string line; std::getline(lines, line);) count += line.rfind("GPU ", 0) == 0 ? 1 : 0;
      return count;
    }
  } catch (const std::runtime_error&) {
    // nvidia-smi is not installed: fall through to the device files.
  }
  int count = 0;
  while (std::filesystem::exists("/dev/nvidia" + std::to_string(count))) ++count;
  return count;
}

}  // namespace ypa::testing
