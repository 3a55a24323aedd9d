// The SQL the pipeline sends to ClickHouse besides its inserts: reading a run's price_aligned back
// (for --steps without align) and the newest version already written (for inserted_at). Each builder
// validates the run id (InputError naming run_id) and quotes the database and column names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace ypa::store {

// iphone_id, shop_id, bucket (UInt32 seconds), price_new of run `run_id`, deduplicated by inserted_at,
// for buckets in [first, last]. Filters are empty for "all".
std::string select_price_aligned_sql(const std::string& database, const std::string& run_id,
                                     EpochSeconds first, EpochSeconds last,
                                     const std::vector<std::int64_t>& iphone_ids,
                                     const std::vector<std::int64_t>& shop_ids);

// One row, one column: the largest inserted_at (Unix seconds) of the run's rows with buckets in
// [first, last], in either table; 0 if none. Only these rows can be replaced by a write of that range.
std::string select_latest_version_sql(const std::string& database, const std::string& run_id,
                                      EpochSeconds first, EpochSeconds last);

// scope, bucket (UInt32), mean of the run's features_wide rows with buckets in [first, last], deduplicated.
std::string select_mean_history_sql(const std::string& database, const std::string& run_id,
                                    EpochSeconds first, EpochSeconds last);

// scope, then per column in `ema_columns` that column's value at the scope's latest bucket in
// [first, last] (deduplicated): the EMA state a series carries into the bucket after `last`.
std::string select_latest_ema_sql(const std::string& database, const std::string& run_id, EpochSeconds first,
                                  EpochSeconds last, const std::vector<std::string>& ema_columns);

// One row, one column: the newest bucket (Unix seconds) of the run's features_wide rows, 0 if none.
std::string select_last_bucket_sql(const std::string& database, const std::string& run_id);
// One row, one column: the oldest bucket (Unix seconds) of the run's features_wide rows, 0 if none.
std::string select_first_bucket_sql(const std::string& database, const std::string& run_id);

// One row per existing table of the two the pipeline writes.
std::string select_pipeline_tables_sql(const std::string& database);

// Per shop of a run with shop_health rows in [first, last]: the latest last_recorded_at (0 for none).
std::string select_shop_last_records_sql(const std::string& database, const std::string& run_id,
                                         EpochSeconds first, EpochSeconds last);
// The shop_health rows of a run in [first, last]: shop, hour, buckets, filtered cells, cells, median price
// ratio (nan for NULL), by shop and hour.
std::string select_shop_hours_sql(const std::string& database, const std::string& run_id, EpochSeconds first,
                                  EpochSeconds last);
// Per shop and bucket of a run in [first, last]: the shop's price_aligned rows (cells), shop and bucket
// order; buckets without rows are absent.
std::string select_shop_bucket_cells_sql(const std::string& database, const std::string& run_id, EpochSeconds first,
                                         EpochSeconds last);

}  // namespace ypa::store
