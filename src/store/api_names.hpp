// Shop and iPhone names for the API's purchasing-time-analyses items, read from the Django
// application's PostgreSQL tables (SPEC §2); the API keeps them in a cache with a bounded lifetime.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "postgres/connection.hpp"
#include "postgres/source_schema.hpp"

namespace ypa::store {

struct IphoneInfo {
  std::uint32_t id = 0;
  std::string part_number;
  std::string model_name;
  std::int64_t capacity_gb = 0;
  std::string color;
};

struct CohortInfo {
  std::string slug;
  std::string title;
  std::int64_t members = 0;  // rows of the cohort's member table
};

struct NameCatalog {
  std::unordered_map<std::uint32_t, std::string> shops;
  std::unordered_map<std::uint32_t, IphoneInfo> iphones;
  std::vector<CohortInfo> cohorts;  // by slug
};

// Every shop, iPhone and cohort (small tables: tens of shops, hundreds of models, a few cohorts).
NameCatalog load_names(postgres::Connection& conn, const postgres::SourceTables& tables);

}  // namespace ypa::store
