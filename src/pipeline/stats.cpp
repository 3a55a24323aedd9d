#include "pipeline/stats.hpp"

namespace ypa::pipeline {

RunStats::RunStats() {
  for (const char* name : {"read", "align", "aggregate", "cohorts", "features", "write"}) {
    steps_.push_back({name, 0, 0, 0, ""});
  }
}

void RunStats::add(const std::string& step, double seconds, std::int64_t rows_in, std::int64_t rows_out,
                   const std::string& device) {
  std::lock_guard lock(mutex_);
  for (auto& s : steps_) {
    if (s.name != step) continue;
    s.seconds += seconds;
    s.rows_in += rows_in;
    s.rows_out += rows_out;
    if (!device.empty()) s.device = device;
    return;
  }
  steps_.push_back({step, seconds, rows_in, rows_out, device});
}

void RunStats::add_skipped(const domain::SkipCounts& skipped) {
  std::lock_guard lock(mutex_);
  skipped_.null_price += skipped.null_price;
  skipped_.nonpositive_price += skipped.nonpositive_price;
}

void RunStats::add_below_quorum(std::int64_t buckets) {
  std::lock_guard lock(mutex_);
  below_quorum_ += buckets;
}

std::vector<StepStats> RunStats::steps() const {
  std::lock_guard lock(mutex_);
  return steps_;
}

domain::SkipCounts RunStats::skipped() const {
  std::lock_guard lock(mutex_);
  return skipped_;
}

std::int64_t RunStats::below_quorum() const {
  std::lock_guard lock(mutex_);
  return below_quorum_;
}

}  // namespace ypa::pipeline
