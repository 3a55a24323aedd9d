#include "http/pool.hpp"

#include <fmt/format.h>

namespace ypa::http {

ClickHousePool::ClickHousePool(clickhouse::ClientOptions client_options, PoolOptions options)
    : client_options_(std::move(client_options)), options_(options) {}

ClickHousePool::~ClickHousePool() = default;

std::pair<std::unique_ptr<clickhouse::Client>, bool> ClickHousePool::borrow() {
  std::unique_lock lock(mutex_);
  auto deadline = std::chrono::steady_clock::now() + options_.wait;
  while (idle_.empty() && busy_ >= options_.size) {
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && busy_ >= options_.size) {
      throw UnavailableError(fmt::format("all {} ClickHouse connections are busy", options_.size));
    }
  }
  ++busy_;
  if (!idle_.empty()) {
    Idle idle = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    bool stale = std::chrono::steady_clock::now() - idle.since > options_.idle_check;
    if (stale) {
      try {
        idle.client->ping();
      } catch (const Error&) {
        // The server went away while the connection sat idle: open a new one below.
        std::lock_guard relock(mutex_);
        ++discarded_;
        idle.client.reset();
      }
    }
    if (idle.client) return {std::move(idle.client), !stale};
  } else {
    lock.unlock();
  }
  try {
    auto client = std::make_unique<clickhouse::Client>(client_options_);
    std::lock_guard relock(mutex_);
    ++connects_;
    return {std::move(client), false};
  } catch (...) {
    std::lock_guard relock(mutex_);
    ++connect_failures_;
    --busy_;
    freed_.notify_one();
    throw;
  }
}

void ClickHousePool::give_back(std::unique_ptr<clickhouse::Client> client) {
  std::lock_guard lock(mutex_);
  --busy_;
  if (client && client->connected()) {
    idle_.push_back({std::move(client), std::chrono::steady_clock::now()});
  } else {
    ++discarded_;
  }
  freed_.notify_one();
}

void ClickHousePool::forget() {
  std::lock_guard lock(mutex_);
  --busy_;
  ++discarded_;
  freed_.notify_one();
}

void ClickHousePool::run(const std::function<void(clickhouse::Client&)>& work) {
  for (int attempt = 0;; ++attempt) {
    auto [client, reused] = borrow();
    try {
      work(*client);
    } catch (const UnavailableError&) {
      client.reset();
      forget();
      // A reused connection may have died with a restarted server: one retry on a fresh connection.
      if (reused && attempt == 0) continue;
      throw;
    } catch (...) {
      give_back(std::move(client));
      throw;
    }
    give_back(std::move(client));
    return;
  }
}

bool ClickHousePool::ping() {
  try {
    run([](clickhouse::Client& c) { c.ping(); });
    return true;
  } catch (const Error&) {
    return false;
  }
}

PoolStats ClickHousePool::stats() const {
  std::lock_guard lock(mutex_);
  return PoolStats{idle_.size() + busy_, busy_, connects_, connect_failures_, discarded_};
}

}  // namespace ypa::http
