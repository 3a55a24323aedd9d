#include "pipeline/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/errors.hpp"

namespace ypa::pipeline {
namespace {

using postgres::quote_identifier;

std::vector<std::uint32_t> read_ids(postgres::Connection& conn, const std::string& table,
                                    const std::vector<std::int64_t>& filter, const char* flag) {
  auto result = conn.exec(fmt::format("SELECT id FROM {} ORDER BY id", quote_identifier(table)));
  std::vector<std::uint32_t> ids;
  for (int r = 0; r < result.rows(); ++r) ids.push_back(static_cast<std::uint32_t>(result.integer(r, 0)));
  if (filter.empty()) return ids;
  std::set<std::uint32_t> known(ids.begin(), ids.end());
  std::vector<std::uint32_t> chosen;
  for (auto id : filter) {
    if (!known.contains(static_cast<std::uint32_t>(id))) {
      throw InputError(fmt::format("{} {}: no such id in {}", flag, id, table));
    }
    chosen.push_back(static_cast<std::uint32_t>(id));
  }
  std::sort(chosen.begin(), chosen.end());
  chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
  return chosen;
}

}  // namespace

int Catalog::iphone_index(std::uint32_t id) const {
  auto it = iphone_index_.find(id);
  return it == iphone_index_.end() ? -1 : it->second;
}

int Catalog::shop_index(std::uint32_t id) const {
  auto it = shop_index_.find(id);
  return it == shop_index_.end() ? -1 : it->second;
}

void Catalog::build_indexes() {
  iphone_index_.clear();
  shop_index_.clear();
  for (std::size_t i = 0; i < iphone_ids.size(); ++i) iphone_index_[iphone_ids[i]] = static_cast<int>(i);
  for (std::size_t i = 0; i < shop_ids.size(); ++i) shop_index_[shop_ids[i]] = static_cast<int>(i);
}

Catalog load_catalog(postgres::Connection& conn, const postgres::SourceTables& tables,
                     const std::vector<std::int64_t>& iphone_ids, const std::vector<std::int64_t>& shop_ids,
                     const ShardSpec& shard) {
  Catalog catalog;
  catalog.iphone_ids = read_ids(conn, tables.iphone, iphone_ids, "--iphone-ids");
  std::erase_if(catalog.iphone_ids, [&](std::uint32_t id) { return !shard.contains(id); });
  catalog.shop_ids = read_ids(conn, tables.shop, shop_ids, "--shop-ids");
  catalog.build_indexes();

  // Profiles: profile id -> shop weights.
  std::map<std::int64_t, std::map<std::uint32_t, double>> profiles;
  auto items = conn.exec(fmt::format("SELECT profile_id, shop_id, weight FROM {}", quote_identifier(tables.shop_weight_item)));
  for (int r = 0; r < items.rows(); ++r) {
    profiles[items.integer(r, 0)][static_cast<std::uint32_t>(items.integer(r, 1))] = std::stod(std::string(items.text(r, 2)));
  }
  auto cohorts = conn.exec(fmt::format("SELECT id, slug, shop_weight_profile_id FROM {} ORDER BY slug",
                                       quote_identifier(tables.cohort)));
  auto members = conn.exec(fmt::format("SELECT cohort_id, iphone_id, weight FROM {} ORDER BY cohort_id, iphone_id",
                                       quote_identifier(tables.cohort_member)));
  std::map<std::int64_t, std::vector<domain::CohortMember>> by_cohort;
  for (int r = 0; r < members.rows(); ++r) {
    by_cohort[members.integer(r, 0)].push_back(
        {static_cast<std::uint32_t>(members.integer(r, 1)), std::stod(std::string(members.text(r, 2)))});
  }
  for (int r = 0; r < cohorts.rows(); ++r) {
    domain::CohortSpec spec;
    spec.slug = std::string(cohorts.text(r, 1));
    spec.members = by_cohort[cohorts.integer(r, 0)];
    if (spec.members.empty()) continue;  // nothing to aggregate
    bool complete = std::all_of(spec.members.begin(), spec.members.end(),
                                [&](const auto& m) { return catalog.iphone_index(m.iphone_id) >= 0; });
    if (!complete) {
      catalog.skipped_cohorts.push_back(spec.slug);
      continue;
    }
    if (!cohorts.is_null(r, 2)) {
      spec.has_profile = true;
      spec.shop_weights = profiles[cohorts.integer(r, 2)];
    }
    catalog.cohorts.push_back(std::move(spec));
  }
  return catalog;
}

}  // namespace ypa::pipeline
