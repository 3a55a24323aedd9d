#include "pipeline/options.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/errors.hpp"

namespace ypa::pipeline {

Steps parse_steps(const std::string& text) {
  Steps steps{false, false, false, false};
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    std::string step = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (step == "align") {
      steps.align = true;
    } else if (step == "aggregate") {
      steps.aggregate = true;
    } else if (step == "features") {
      steps.features = true;
    } else if (step == "cohorts") {
      steps.cohorts = true;
    } else {
      throw InputError(fmt::format("--steps '{}': unknown step '{}' (choose from align,aggregate,features,cohorts)",
                                   text, step));
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return steps;
}

int default_warmup_buckets(const PipelineSettings& settings) {
  int largest = *std::max_element(settings.window_min.begin(), settings.window_min.end());
  return 8 * largest / settings.interval_min;
}

}  // namespace ypa::pipeline
