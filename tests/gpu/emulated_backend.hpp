// The CUDA backend's algorithms run on the CPU: the kernels' per-thread code (cell_math.hpp) in the
// kernels' decomposition (tiles, chunks, EMA maps composed per thread, per tile and across tiles).
// Compared with the CPU reference, it checks the GPU formulation on machines without a GPU.
#pragma once

#include <memory>

#include "compute/backend.hpp"

namespace ypa::testing::gpu {

std::unique_ptr<compute::Backend> make_emulated_cuda_backend();

}  // namespace ypa::testing::gpu
