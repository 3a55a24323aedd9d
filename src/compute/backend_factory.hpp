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

// A device the user asked for, resolved for this build and machine.
struct DeviceChoice {
  std::string device;  // "cpu" or "cuda:N"
  std::string note;    // why `auto` chose the CPU ("auto: no CUDA GPU on this machine"); empty otherwise
};

// Resolves `requested` ("cpu", "auto" or "cuda:N"), which the user gave through `source`: the flag
// ("--device") or the environment variable ("PIPELINE_DEVICE"), named in the one-line InputError for a
// malformed value or a CUDA device this build or machine cannot give. `auto` takes cuda:0 when this
// build has CUDA and the driver reports a GPU, else the CPU with a note saying why.
DeviceChoice resolve_device(const std::string& requested, const std::string& source);

// The backend for a resolved device name: "cpu" or "cuda:N". Throws InputError for anything else or
// for a CUDA device this build or machine cannot give.
std::unique_ptr<Backend> make_backend(const std::string& device);

}  // namespace ypa::compute
