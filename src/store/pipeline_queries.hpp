// The SQL the pipeline sends to ClickHouse besides its inserts: reading a run's price_aligned back
// (for --steps without align) and the newest version already written (for inserted_at).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace ypa::store {

// iphone_id, shop_id, bucket (UInt32 seconds), price_new of run `run_id`, deduplicated by inserted_at,
// for buckets in [first, last]. Filters are empty for "all". run_id must be validated already.
std::string select_price_aligned_sql(const std::string& database, const std::string& run_id, EpochSeconds first,
                                     EpochSeconds last, const std::vector<std::int64_t>& iphone_ids,
                                     const std::vector<std::int64_t>& shop_ids);

// One row, one column: the largest inserted_at (Unix seconds) of the run in either table, 0 if none.
std::string select_latest_version_sql(const std::string& database, const std::string& run_id);

// One row per existing table of the two the pipeline writes.
std::string select_pipeline_tables_sql(const std::string& database);

}  // namespace ypa::store
