#include "pipeline/progress.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace ypa::pipeline {

Progress::Progress(std::size_t total_slices, bool terminal)
    : total_(total_slices), terminal_(terminal), start_(std::chrono::steady_clock::now()), last_print_(start_) {}

void Progress::slice_done(std::int64_t rows, const std::string& day) {
  ++done_;
  rows_ += rows;
  day_ = day;
  auto now = std::chrono::steady_clock::now();
  if (terminal_ || now - last_print_ >= std::chrono::seconds(10)) {
    print(false);
    last_print_ = now;
  }
}

void Progress::finish() {
  if (terminal_) {
    print(true);
    std::fputc('\n', stderr);
  }
}

void Progress::print(bool final_line) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(rows_) / elapsed : 0;
  double eta = done_ > 0 ? elapsed * static_cast<double>(total_ - done_) / static_cast<double>(done_) : 0;
  std::string line = fmt::format("slice {}/{} ({}) | {} rows | {:.0f} rows/s | {}", done_, total_, day_, rows_, rate,
                                 final_line ? fmt::format("{:.1f}s", elapsed) : fmt::format("ETA {:.0f}s", eta));
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
  } else {
    spdlog::info("{}", line);
  }
}

}  // namespace ypa::pipeline
