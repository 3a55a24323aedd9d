// Which backend runs a batch: the CPU backend, or the CUDA backend in builds that have it (YPA_WITH_CUDA).
// Plain C++ in every build; callers never see CUDA headers or #ifdefs.
#pragma once

#include <memory>
#include <string>

#include "compute/backend.hpp"

namespace ypa::compute {

// Whether this build contains the CUDA backend.
bool cuda_built();
// CUDA devices the driver reports; 0 without a driver, without a GPU or in a build without CUDA.
int cuda_device_count();

// The backend for a resolved device name: "cpu" or "cuda:N". Throws InputError for anything else or
// for a CUDA device this build or machine cannot give.
std::unique_ptr<Backend> make_backend(const std::string& device);

}  // namespace ypa::compute
