// The shops, iPhones and cohorts a run works on, read from PostgreSQL and mapped to the dense indexes
// of the frames (series = iPhone position, shop = shop position).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/cohort.hpp"
#include "pipeline/options.hpp"
#include "postgres/connection.hpp"
#include "postgres/source_schema.hpp"

namespace ypa::pipeline {

struct Catalog {
  std::vector<std::uint32_t> iphone_ids;  // ascending; the frame's series order
  std::vector<std::uint32_t> shop_ids;    // ascending; the cube's shop order
  std::vector<domain::CohortSpec> cohorts;
  std::vector<std::string> skipped_cohorts;  // members outside --iphone-ids

  // -1 when the id is not part of this run.
  int iphone_index(std::uint32_t id) const;
  int shop_index(std::uint32_t id) const;
  void build_indexes();

 private:
  std::unordered_map<std::uint32_t, int> iphone_index_;
  std::unordered_map<std::uint32_t, int> shop_index_;
};

// Reads the catalogue; `iphone_ids` / `shop_ids` (empty = all) and `shard` limit it. An id in a filter
// that the source tables do not have is an InputError naming it.
Catalog load_catalog(postgres::Connection& conn, const postgres::SourceTables& tables,
                     const std::vector<std::int64_t>& iphone_ids, const std::vector<std::int64_t>& shop_ids,
                     const ShardSpec& shard = {});

}  // namespace ypa::pipeline
