#include "http/metrics.hpp"

#include <fmt/format.h>

namespace ypa::http {

void Metrics::observe(const std::string& endpoint, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{endpoint, status}];
  Histogram& h = latency_[endpoint];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::clickhouse_error(const std::string& kind) {
  std::lock_guard lock(mutex_);
  ++clickhouse_errors_[kind];
}

void Metrics::cache(bool hit) {
  std::lock_guard lock(mutex_);
  ++(hit ? cache_hits_ : cache_misses_);
}

std::string Metrics::render(const PoolStats& pool, std::size_t cache_entries, std::size_t cache_bytes) const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP ypa_http_requests_total HTTP requests by endpoint and status.\n";
  out += "# TYPE ypa_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out += fmt::format("ypa_http_requests_total{{endpoint=\"{}\",status=\"{}\"}} {}\n", key.first, key.second, n);
  }
  out += "# HELP ypa_http_request_duration_seconds Time from request to response, by endpoint.\n";
  out += "# TYPE ypa_http_request_duration_seconds histogram\n";
  for (const auto& [endpoint, h] : latency_) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format("ypa_http_request_duration_seconds_bucket{{endpoint=\"{}\",le=\"{}\"}} {}\n", endpoint,
                         kBuckets[i], h.counts[i]);
    }
    out += fmt::format("ypa_http_request_duration_seconds_bucket{{endpoint=\"{}\",le=\"+Inf\"}} {}\n", endpoint,
                       h.count);
    out += fmt::format("ypa_http_request_duration_seconds_sum{{endpoint=\"{}\"}} {}\n", endpoint, h.sum);
    out += fmt::format("ypa_http_request_duration_seconds_count{{endpoint=\"{}\"}} {}\n", endpoint, h.count);
  }
  out += "# HELP ypa_clickhouse_errors_total Failed ClickHouse operations by kind.\n";
  out += "# TYPE ypa_clickhouse_errors_total counter\n";
  for (const char* kind : {"unavailable", "transient", "query"}) {
    auto it = clickhouse_errors_.find(kind);
    out += fmt::format("ypa_clickhouse_errors_total{{kind=\"{}\"}} {}\n", kind,
                       it == clickhouse_errors_.end() ? 0 : it->second);
  }
  out += "# HELP ypa_response_cache_total Response cache lookups by result.\n";
  out += "# TYPE ypa_response_cache_total counter\n";
  out += fmt::format("ypa_response_cache_total{{result=\"hit\"}} {}\n", cache_hits_);
  out += fmt::format("ypa_response_cache_total{{result=\"miss\"}} {}\n", cache_misses_);
  out += "# HELP ypa_response_cache_entries Answers the response cache holds.\n";
  out += "# TYPE ypa_response_cache_entries gauge\n";
  out += fmt::format("ypa_response_cache_entries {}\n", cache_entries);
  out += "# HELP ypa_response_cache_bytes Bytes of the keys and answers the response cache holds (API_CACHE_MAX_MB at most).\n";
  out += "# TYPE ypa_response_cache_bytes gauge\n";
  out += fmt::format("ypa_response_cache_bytes {}\n", cache_bytes);
  out += "# HELP ypa_clickhouse_pool_connections ClickHouse connections held by the pool.\n";
  out += "# TYPE ypa_clickhouse_pool_connections gauge\n";
  out += fmt::format("ypa_clickhouse_pool_connections{{state=\"open\"}} {}\n", pool.open);
  out += fmt::format("ypa_clickhouse_pool_connections{{state=\"busy\"}} {}\n", pool.busy);
  out += "# HELP ypa_clickhouse_connects_total Connections opened (ok) or refused (failed).\n";
  out += "# TYPE ypa_clickhouse_connects_total counter\n";
  out += fmt::format("ypa_clickhouse_connects_total{{result=\"ok\"}} {}\n", pool.connects);
  out += fmt::format("ypa_clickhouse_connects_total{{result=\"failed\"}} {}\n", pool.connect_failures);
  return out;
}

}  // namespace ypa::http
