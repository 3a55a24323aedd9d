// A minimal parallel loop over independent series: the frames' rows are independent, so a static
// split across the machine's cores is all the CPU backend needs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace ypa::compute::cpu {

template <typename Body>
void parallel_for(std::size_t n, Body body) {
  std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 64);
  threads = std::min(threads, n);
  if (threads <= 1) {
    for (std::size_t i = 0; i < n; ++i) body(i);
    return;
  }
  std::vector<std::exception_ptr> errors(threads);
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        for (std::size_t i = t; i < n; i += threads) body(i);  // interleaved: series differ in density
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace ypa::compute::cpu
