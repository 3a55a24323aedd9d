// The CUDA backend: the Backend interface of compute/backend.hpp on one GPU. Plain C++: no CUDA
// headers, so any target may include it; it exists only in builds with YPA_WITH_CUDA.
#pragma once

#include <memory>

#include "compute/backend.hpp"

namespace ypa::compute {

// The backend on CUDA device `device` (0-based). Throws ypa::InputError when there is no such device.
// Shapes the kernels do not take (more than 64 shops, more than 16 windows or windows too long for
// shared memory) run on the CPU backend instead, with the same results.
std::unique_ptr<Backend> make_cuda_backend(int device);

}  // namespace ypa::compute
