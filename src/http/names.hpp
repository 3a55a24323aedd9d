// The shop and iPhone names of purchasing-time-analyses, read from PostgreSQL at most once per
// lifetime (API_NAMES_TTL_S) and again, at most every few seconds, when an id is missing (a shop added
// since the last load). PostgreSQL down with no fresh copy: UnavailableError (503).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "postgres/source_schema.hpp"
#include "store/api_names.hpp"

namespace ypa::http {

class NameCache {
 public:
  NameCache(std::string conninfo, postgres::SourceTables tables, std::chrono::seconds ttl);
  // A catalogue no older than the lifetime that has every id asked for, as far as PostgreSQL has them.
  std::shared_ptr<const store::NameCatalog> get(const std::vector<std::uint32_t>& shop_ids,
                                                const std::vector<std::uint32_t>& iphone_ids);

 private:
  std::string conninfo_;
  postgres::SourceTables tables_;
  std::chrono::seconds ttl_;
  std::mutex mutex_;
  std::shared_ptr<const store::NameCatalog> catalog_;
  std::chrono::steady_clock::time_point loaded_{};
};

}  // namespace ypa::http
