// The shop and iPhone names of purchasing-time-analyses, read from PostgreSQL at most once per
// lifetime (API_NAMES_TTL_S) and again, at most every few seconds, when an id is missing (a shop added
// since the last load).
//
// PostgreSQL slow, down or frozen must not stall the API: loads run on a background thread, one at a
// time, and a request never waits for one while a copy exists (it gets that copy, however old; a failed
// load keeps it). Only the very first load is waited for, for at most `load_timeout`; PostgreSQL down or
// silent until then: UnavailableError (503). A load is bounded: libpq's connect_timeout for the
// connection, and past `load_timeout` its socket is shut down (a frozen server answers nothing, and
// keepalives or statement_timeout do not help against that), which fails the load at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/background.hpp"
#include "postgres/source_schema.hpp"
#include "store/api_names.hpp"

namespace ypa::http {

struct NameCacheOptions {
  std::chrono::seconds ttl{60};
  // libpq's connect_timeout, added to the connection string unless it names one (libpq counts whole
  // seconds and takes 2 at least).
  std::chrono::seconds connect_timeout{2};
  // The longest a load may run (connect included), and so the longest a first request waits for one.
  std::chrono::milliseconds load_timeout{5000};
};

class NameCache {
 public:
  NameCache(std::string conninfo, postgres::SourceTables tables, std::chrono::seconds ttl);
  NameCache(std::string conninfo, postgres::SourceTables tables, NameCacheOptions options);
  // Cuts a load under way short and waits for it (at most the connect timeout).
  ~NameCache();
  NameCache(const NameCache&) = delete;
  NameCache& operator=(const NameCache&) = delete;

  // The names as last loaded; a load is started in the background when they are past their lifetime or
  // lack an id asked for. Waits only when nothing was ever loaded.
  std::shared_ptr<const store::NameCatalog> get(const std::vector<std::uint32_t>& shop_ids,
                                                const std::vector<std::uint32_t>& iphone_ids);

 private:
  using Clock = std::chrono::steady_clock;
  void start_load(Clock::time_point now);        // under mutex_
  void cut_overdue_load(Clock::time_point now);  // under mutex_
  void load();                                   // on worker_

  std::string conninfo_;
  postgres::SourceTables tables_;
  NameCacheOptions options_;

  std::mutex mutex_;
  std::condition_variable loaded_;  // a load finished
  std::shared_ptr<const store::NameCatalog> catalog_;
  Clock::time_point loaded_at_{};
  bool loading_ = false;
  Clock::time_point load_started_{};
  std::uint64_t loads_finished_ = 0;
  // After a failed load, the next one waits until then (a copy exists) or goes ahead (none does).
  Clock::time_point retry_after_{};
  std::string last_error_;
  // The running load's connection, once connected, so that an overdue load can be cut off; -1 if none.
  // Cleared before the connection closes, so a shutdown never reaches a reused descriptor.
  int load_socket_ = -1;
  bool stopping_ = false;
  BackgroundWorker worker_;  // last: destroyed first, while what its task uses still exists
};

// `conninfo` (a libpq key=value string, a postgres:// URL, or empty for the PG* variables) with
// connect_timeout set to `seconds`, unless it already names a connect_timeout.
std::string with_connect_timeout(const std::string& conninfo, std::chrono::seconds seconds);

}  // namespace ypa::http
