// Prometheus text exposition for /metrics: requests by endpoint (route template, never the raw
// path, so the label set stays bounded) and status, latency histograms per endpoint, ClickHouse
// errors by kind, and the connection pool.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "http/pool.hpp"

namespace ypa::http {

class Metrics {
 public:
  // Upper bounds of the latency buckets in seconds (+Inf is implicit).
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5,   5.0};

  void observe(const std::string& endpoint, int status, double seconds);
  // kind: "unavailable" (no connection, or no answer in time), "transient" (the server's exception
  // says try again: load, memory, timeouts; answered 503) or "query" (the server refused the query
  // itself: syntax, unknown table or column; answered 500).
  void clickhouse_error(const std::string& kind);
  void cache(bool hit);
  // `cache_entries`: answers the response cache holds now.
  std::string render(const PoolStats& pool, std::size_t cache_entries, std::size_t cache_bytes) const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> counts{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, std::uint64_t> clickhouse_errors_;
  std::uint64_t cache_hits_ = 0;
  std::uint64_t cache_misses_ = 0;
};

}  // namespace ypa::http
