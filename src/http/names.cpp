#include "http/names.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include "core/errors.hpp"
#include "postgres/connection.hpp"

namespace ypa::http {
namespace {

// A copy that lacks an id asked for is reloaded at most this often (the id may be gone from PostgreSQL).
constexpr std::chrono::seconds kMissReload{5};
// After a failed load, while a copy is served, the next load waits this long.
constexpr std::chrono::seconds kRetryAfterFailure{5};

}  // namespace

std::string with_connect_timeout(const std::string& conninfo, std::chrono::seconds seconds) {
  if (conninfo.find("connect_timeout") != std::string::npos) return conninfo;
  const std::string setting = fmt::format("connect_timeout={}", seconds.count());
  if (conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0) {
    return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") + setting;
  }
  return conninfo.empty() ? setting : conninfo + " " + setting;
}

NameCache::NameCache(std::string conninfo, postgres::SourceTables tables, std::chrono::seconds ttl)
    : NameCache(std::move(conninfo), std::move(tables), NameCacheOptions{ttl}) {}

NameCache::NameCache(std::string conninfo, postgres::SourceTables tables, NameCacheOptions options)
    : conninfo_(with_connect_timeout(conninfo, options.connect_timeout)),
      tables_(std::move(tables)),
      options_(options) {}

NameCache::~NameCache() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  if (load_socket_ >= 0) ::shutdown(load_socket_, SHUT_RDWR);
}

std::shared_ptr<const store::NameCatalog> NameCache::get(const std::vector<std::uint32_t>& shop_ids,
                                                         const std::vector<std::uint32_t>& iphone_ids) {
  std::unique_lock lock(mutex_);
  auto now = Clock::now();
  cut_overdue_load(now);
  if (catalog_) {
    bool due = now - loaded_at_ >= options_.ttl;
    if (!due && now - loaded_at_ >= kMissReload) {
      for (auto id : shop_ids) due = due || catalog_->shops.count(id) == 0;
      for (auto id : iphone_ids) due = due || catalog_->iphones.count(id) == 0;
    }
    if (due && !loading_ && now >= retry_after_) start_load(now);
    return catalog_;
  }
  // Nothing loaded yet: wait for a load, the one under way or a new one, for as long as it may run.
  if (!loading_) start_load(now);
  const std::uint64_t before = loads_finished_;
  const auto deadline = load_started_ + options_.load_timeout;
  if (!loaded_.wait_until(lock, deadline, [&] { return loads_finished_ != before; })) {
    cut_overdue_load(Clock::now());
    throw UnavailableError(fmt::format("shop and iPhone names: PostgreSQL did not answer within {} ms",
                                       options_.load_timeout.count()));
  }
  if (!catalog_) throw UnavailableError(fmt::format("shop and iPhone names: {}", last_error_));
  return catalog_;
}

void NameCache::start_load(Clock::time_point now) {
  loading_ = true;
  load_started_ = now;
  worker_.post([this] { load(); });
}

void NameCache::cut_overdue_load(Clock::time_point now) {
  if (loading_ && load_socket_ >= 0 && now - load_started_ >= options_.load_timeout) {
    // The load's blocking read returns at once, as if PostgreSQL had closed the connection.
    ::shutdown(load_socket_, SHUT_RDWR);
    load_socket_ = -1;
  }
}

void NameCache::load() {
  std::shared_ptr<const store::NameCatalog> fresh;
  std::string error;
  try {
    postgres::Connection conn(conninfo_);
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      load_socket_ = PQsocket(conn.get());
    }
    // Declared after `conn`, so destroyed before it closes the socket.
    struct Forget {
      NameCache* cache;
      ~Forget() {
        std::lock_guard lock(cache->mutex_);
        cache->load_socket_ = -1;
      }
    } forget{this};
    // Past the deadline already (a slow connect): cut it before the queries begin.
    {
      std::lock_guard lock(mutex_);
      cut_overdue_load(Clock::now());
    }
    fresh = std::make_shared<const store::NameCatalog>(store::load_names(conn, tables_));
  } catch (const std::exception& e) {
    error = e.what();
  }
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  loading_ = false;
  ++loads_finished_;
  if (fresh) {
    catalog_ = std::move(fresh);
    loaded_at_ = now;
    retry_after_ = {};
    last_error_.clear();
  } else {
    last_error_ = error;
    retry_after_ = now + kRetryAfterFailure;
    spdlog::warn("shop and iPhone names: load failed ({}): {}",
                 catalog_ ? "still serving the previous copy" : "none loaded yet", error);
  }
  loaded_.notify_all();
}

}  // namespace ypa::http
