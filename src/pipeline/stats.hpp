// Counters and timings a run collects for its closing table (SPEC §9) and its log.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "domain/align.hpp"

namespace ypa::pipeline {

struct StepStats {
  std::string name;
  double seconds = 0;
  std::int64_t rows_in = 0;
  std::int64_t rows_out = 0;
  std::string device;
};

class RunStats {
 public:
  RunStats();
  // Adds to the step's totals (thread-safe: stages run on different threads).
  void add(const std::string& step, double seconds, std::int64_t rows_in, std::int64_t rows_out,
           const std::string& device = "");
  void add_skipped(const domain::SkipCounts& skipped);
  void add_below_quorum(std::int64_t buckets);
  std::vector<StepStats> steps() const;
  domain::SkipCounts skipped() const;
  std::int64_t below_quorum() const;

 private:
  mutable std::mutex mutex_;
  std::vector<StepStats> steps_;
  domain::SkipCounts skipped_;
  std::int64_t below_quorum_ = 0;
};

// Seconds since `start` as a double.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace ypa::pipeline
