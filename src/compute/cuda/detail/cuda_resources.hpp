// RAII for the CUDA runtime's handles (device and pinned buffers, streams, events) and the checked-call
// helper. A private header of the CUDA target: only its .cpp/.cu files and its benchmark include it.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

namespace ypa::compute::cuda::detail {

// Throws ypa::Error "<what>: <CUDA's name and message>" unless status is cudaSuccess.
void check(cudaError_t status, const char* what);
// After a kernel launch: launch-configuration errors surface here, not at the next call.
inline void check_launch(const char* kernel) {
  check(cudaGetLastError(), kernel);
}

// Device memory for n values of T. Grows on resize and never shrinks, so a backend that keeps its
// buffers between batches allocates only when a batch is larger than every one before it.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t n) { resize(n); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      ptr_ = std::exchange(other.ptr_, nullptr);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }

  // Contents are not preserved when the allocation grows.
  void resize(std::size_t n) {
    if (n > capacity_) {
      release();
      void* p = nullptr;
      check(cudaMalloc(&p, n * sizeof(T)), "cudaMalloc");
      ptr_ = static_cast<T*>(p);
      capacity_ = n;
    }
    size_ = n;
  }
  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  std::size_t size() const { return size_; }
  std::size_t bytes() const { return size_ * sizeof(T); }

 private:
  void release() {
    if (ptr_ != nullptr) cudaFree(ptr_);  // cannot fail usefully in a destructor
    ptr_ = nullptr;
    size_ = capacity_ = 0;
  }
  T* ptr_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// Page-locked host memory: the only kind the copy engines read and write asynchronously.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(std::size_t bytes);
  ~PinnedBuffer();
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  PinnedBuffer(PinnedBuffer&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  void* data() { return ptr_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

class Stream {
 public:
  Stream();
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }
  void synchronize(const char* what) const { check(cudaStreamSynchronize(stream_), what); }

 private:
  cudaStream_t stream_ = nullptr;
};

class Event {
 public:
  explicit Event(bool timing = false);
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

// Host <-> device copies of pageable memory (the frames' std::vectors) through two pinned chunks: the
// CPU fills one chunk while the copy engine moves the other, so a transfer runs at the copy engine's
// speed instead of the driver's pageable path. Copies are queued on `stream`; upload returns once every
// byte is in pinned memory, download once every byte is in the destination.
class StagedCopier {
 public:
  explicit StagedCopier(std::size_t chunk_bytes = std::size_t{16} << 20);
  void upload(void* device_dst, const void* host_src, std::size_t bytes, cudaStream_t stream);
  void download(void* host_dst, const void* device_src, std::size_t bytes, cudaStream_t stream);

 private:
  std::size_t chunk_;
  PinnedBuffer buffers_[2];
  Event done_[2];
};

}  // namespace ypa::compute::cuda::detail
