// A small bounded pool of ClickHouse connections for the API: requests borrow a connection and give
// it back, so concurrent clients never queue behind one socket. Idle connections that turn out dead
// are dropped and replaced on the spot; a server that is down fails fast (connect timeout) with
// UnavailableError, which the HTTP layer answers with 503.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "clickhouse/client.hpp"

namespace ypa::http {

struct PoolOptions {
  std::size_t size = 16;                         // connections at most, busy and idle together
  std::chrono::milliseconds wait{2000};          // longest wait for a free connection
  std::chrono::milliseconds idle_check{10000};   // ping an idle connection older than this before reuse
};

struct PoolStats {
  std::size_t open = 0;
  std::size_t busy = 0;
  std::uint64_t connects = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t discarded = 0;
};

class ClickHousePool {
 public:
  ClickHousePool(clickhouse::ClientOptions client_options, PoolOptions options);
  ~ClickHousePool();
  ClickHousePool(const ClickHousePool&) = delete;
  ClickHousePool& operator=(const ClickHousePool&) = delete;

  // Runs `work` with a borrowed connection. A connection failure on a reused connection is retried
  // once on a fresh one (the server may have restarted since); any connection failure discards the
  // connection. Throws UnavailableError when no connection can be had.
  void run(const std::function<void(clickhouse::Client&)>& work);
  // A round trip on a pooled connection; false when ClickHouse cannot be reached.
  bool ping();
  PoolStats stats() const;
  // The options of the pool's connections (for a connection of its own, outside the pool).
  const clickhouse::ClientOptions& client_options() const { return client_options_; }

 private:
  struct Idle {
    std::unique_ptr<clickhouse::Client> client;
    std::chrono::steady_clock::time_point since;
  };
  // A connection and whether it was reused; blocks while all are busy.
  std::pair<std::unique_ptr<clickhouse::Client>, bool> borrow();
  void give_back(std::unique_ptr<clickhouse::Client> client);
  void forget();  // a borrowed connection was discarded

  clickhouse::ClientOptions client_options_;
  PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<Idle> idle_;
  std::size_t busy_ = 0;
  std::uint64_t connects_ = 0;
  std::uint64_t connect_failures_ = 0;
  std::uint64_t discarded_ = 0;
};

}  // namespace ypa::http
