#include "pipeline/options.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/env.hpp"
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

ShardSpec parse_shard(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) throw InputError(fmt::format("--shard '{}': expected i/n, e.g. 0/2", text));
  ShardSpec shard;
  shard.count = static_cast<int>(env::parse_int(text.substr(slash + 1), "--shard n", 1, 1024));
  shard.index = static_cast<int>(env::parse_int(text.substr(0, slash), "--shard i", 0, 1023));
  if (shard.index >= shard.count) {
    throw InputError(fmt::format("--shard {}: i must be below n (workers are numbered 0 to n-1)", text));
  }
  return shard;
}

domain::FeatureParams feature_params(const PipelineSettings& settings) {
  domain::FeatureParams params;
  for (int w : settings.window_min) params.window_buckets.push_back(w / settings.interval_min);
  params.boll_k = settings.boll_k;
  return params;
}

BucketRange incremental_range(const std::string& to, const std::string& since, const BucketGrid& grid,
                              EpochSeconds now) {
  EpochSeconds span = env::parse_duration(since, "--since");
  if (span <= 0 || span % grid.interval_sec() != 0) {
    throw InputError(fmt::format("--since {}: not a multiple of the {}-minute interval", since, grid.interval_min()));
  }
  if (!to.empty() && to.size() == 10) {
    throw InputError(fmt::format("--to {}: incremental runs name one bucket, YYYY-MM-DDTHH:MM", to));
  }
  EpochSeconds last = to.empty() ? grid.floor(now) : parse_bucket_range(to, to, grid).last;
  return {last - span + grid.interval_sec(), last};
}

int default_warmup_buckets(const PipelineSettings& settings) {
  int largest = *std::max_element(settings.window_min.begin(), settings.window_min.end());
  return 8 * largest / settings.interval_min;
}

}  // namespace ypa::pipeline
