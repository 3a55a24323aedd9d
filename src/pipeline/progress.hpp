// Progress of a run: one self-updating line on a terminal (slice, rows, rows/s, ETA), plain log lines
// otherwise (about every 10 seconds and at the end), so logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ypa::pipeline {

class Progress {
 public:
  Progress(std::size_t total_slices, bool terminal);
  // A slice has been written: `rows` source records read for it.
  void slice_done(std::int64_t rows, const std::string& day);
  void finish();

 private:
  void print(bool final_line);

  std::size_t total_;
  std::size_t done_ = 0;
  std::int64_t rows_ = 0;
  std::string day_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

}  // namespace ypa::pipeline
