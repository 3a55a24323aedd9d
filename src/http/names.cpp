#include "http/names.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"
#include "postgres/connection.hpp"

namespace ypa::http {
namespace {
constexpr std::chrono::seconds kMissReload{5};
}

NameCache::NameCache(std::string conninfo, postgres::SourceTables tables, std::chrono::seconds ttl)
    : conninfo_(std::move(conninfo)), tables_(std::move(tables)), ttl_(ttl) {}

std::shared_ptr<const store::NameCatalog> NameCache::get(const std::vector<std::uint32_t>& shop_ids,
                                                         const std::vector<std::uint32_t>& iphone_ids) {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  bool fresh = catalog_ && now - loaded_ < ttl_;
  if (fresh && now - loaded_ >= kMissReload) {
    for (auto id : shop_ids) fresh = fresh && catalog_->shops.count(id) > 0;
    for (auto id : iphone_ids) fresh = fresh && catalog_->iphones.count(id) > 0;
  }
  if (fresh) return catalog_;
  try {
    postgres::Connection conn(conninfo_);
    catalog_ = std::make_shared<const store::NameCatalog>(store::load_names(conn, tables_));
    loaded_ = now;
  } catch (const Error& e) {
    catalog_.reset();
    throw UnavailableError(fmt::format("shop and iPhone names: {}", e.what()));
  }
  return catalog_;
}

}  // namespace ypa::http
