#include "http/background.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace ypa::http {

BackgroundWorker::BackgroundWorker() : thread_([this] { run(); }) {}

BackgroundWorker::~BackgroundWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    tasks_.clear();
  }
  changed_.notify_all();
  thread_.join();
}

void BackgroundWorker::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    tasks_.push_back(std::move(task));
  }
  changed_.notify_all();
}

void BackgroundWorker::drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return (tasks_.empty() && !busy_) || stopping_; });
}

void BackgroundWorker::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
    if (stopping_) return;
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    busy_ = true;
    lock.unlock();
    // A task reports its own failures (see post()); what still escapes is logged, and the worker goes on
    // with the next one.
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("background task failed: {}", e.what());
    } catch (...) {
      spdlog::error("background task failed with an exception that is not a std::exception");
    }
    lock.lock();
    busy_ = false;
    changed_.notify_all();
  }
}

}  // namespace ypa::http
