#include "store/api_names.hpp"

#include <fmt/format.h>

namespace ypa::store {

NameCatalog load_names(postgres::Connection& conn, const postgres::SourceTables& tables) {
  NameCatalog out;
  auto shops = conn.exec(fmt::format("SELECT id, name FROM {}", postgres::quote_identifier(tables.shop)));
  for (int r = 0; r < shops.rows(); ++r) {
    out.shops[static_cast<std::uint32_t>(shops.integer(r, 0))] = std::string(shops.text(r, 1));
  }
  auto iphones = conn.exec(fmt::format("SELECT id, part_number, model_name, capacity_gb, color FROM {}",
                                       postgres::quote_identifier(tables.iphone)));
  for (int r = 0; r < iphones.rows(); ++r) {
    IphoneInfo info{static_cast<std::uint32_t>(iphones.integer(r, 0)), std::string(iphones.text(r, 1)),
                    std::string(iphones.text(r, 2)), iphones.integer(r, 3), std::string(iphones.text(r, 4))};
    out.iphones[info.id] = std::move(info);
  }
  auto cohorts = conn.exec(fmt::format(
      "SELECT c.slug, c.title, count(m.id) FROM {} c LEFT JOIN {} m ON m.cohort_id = c.id "
      "GROUP BY c.id, c.slug, c.title ORDER BY c.slug",
      postgres::quote_identifier(tables.cohort), postgres::quote_identifier(tables.cohort_member)));
  for (int r = 0; r < cohorts.rows(); ++r) {
    out.cohorts.push_back(CohortInfo{std::string(cohorts.text(r, 0)), std::string(cohorts.text(r, 1)),
                                     cohorts.integer(r, 2)});
  }
  return out;
}

}  // namespace ypa::store
