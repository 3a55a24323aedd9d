// The CUDA handles' constructors and destructors, the checked-call helper and the staged copies.
#include "compute/cuda/detail/cuda_resources.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/errors.hpp"

namespace ypa::compute::cuda::detail {

void check(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  throw Error(std::string("CUDA ") + what + ": " + cudaGetErrorName(status) + " (" +
              cudaGetErrorString(status) + ")");
}

PinnedBuffer::PinnedBuffer(std::size_t bytes) : bytes_(bytes) {
  check(cudaMallocHost(&ptr_, bytes), "cudaMallocHost");
}

PinnedBuffer::~PinnedBuffer() {
  if (ptr_ != nullptr) cudaFreeHost(ptr_);
}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  if (this != &other) {
    if (ptr_ != nullptr) cudaFreeHost(ptr_);
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

Stream::Stream() {
  check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
}
Stream::~Stream() {
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

Event::Event(bool timing) {
  check(cudaEventCreateWithFlags(&event_, timing ? cudaEventDefault : cudaEventDisableTiming),
        "cudaEventCreate");
}
Event::~Event() {
  if (event_ != nullptr) cudaEventDestroy(event_);
}

StagedCopier::StagedCopier(std::size_t chunk_bytes)
    : chunk_(chunk_bytes), buffers_{PinnedBuffer(chunk_bytes), PinnedBuffer(chunk_bytes)} {
  // Recorded once so the first wait on each chunk returns at once.
  for (auto& e : done_) check(cudaEventRecord(e.get(), nullptr), "cudaEventRecord");
}

void StagedCopier::upload(void* device_dst, const void* host_src, std::size_t bytes, cudaStream_t stream) {
  auto* dst = static_cast<char*>(device_dst);
  const auto* src = static_cast<const char*>(host_src);
  for (std::size_t off = 0, k = 0; off < bytes; off += chunk_, ++k) {
    const std::size_t len = std::min(chunk_, bytes - off);
    const std::size_t b = k % 2;
    check(cudaEventSynchronize(done_[b].get()), "cudaEventSynchronize (upload)");  // chunk b's last copy left
    std::memcpy(buffers_[b].data(), src + off, len);
    check(cudaMemcpyAsync(dst + off, buffers_[b].data(), len, cudaMemcpyHostToDevice, stream),
          "cudaMemcpyAsync H2D");
    check(cudaEventRecord(done_[b].get(), stream), "cudaEventRecord");
  }
}

void StagedCopier::download(void* host_dst, const void* device_src, std::size_t bytes, cudaStream_t stream) {
  auto* dst = static_cast<char*>(host_dst);
  const auto* src = static_cast<const char*>(device_src);
  const std::size_t chunks = (bytes + chunk_ - 1) / chunk_;
  auto issue = [&](std::size_t k) {
    const std::size_t off = k * chunk_, len = std::min(chunk_, bytes - off);
    const std::size_t b = k % 2;
    check(cudaMemcpyAsync(buffers_[b].data(), src + off, len, cudaMemcpyDeviceToHost, stream),
          "cudaMemcpyAsync D2H");
    check(cudaEventRecord(done_[b].get(), stream), "cudaEventRecord");
  };
  auto drain = [&](std::size_t k) {
    const std::size_t off = k * chunk_, len = std::min(chunk_, bytes - off);
    const std::size_t b = k % 2;
    check(cudaEventSynchronize(done_[b].get()), "cudaEventSynchronize (download)");
    std::memcpy(dst + off, buffers_[b].data(), len);
  };
  if (chunks == 0) return;
  // Wait for uploads still reading the pinned chunks before the first copy overwrites them.
  check(cudaEventSynchronize(done_[0].get()), "cudaEventSynchronize");
  check(cudaEventSynchronize(done_[1].get()), "cudaEventSynchronize");
  issue(0);
  for (std::size_t k = 1; k < chunks; ++k) {
    issue(k);  // the copy engine moves chunk k while the CPU empties chunk k-1
    drain(k - 1);
  }
  drain(chunks - 1);
}

}  // namespace ypa::compute::cuda::detail
