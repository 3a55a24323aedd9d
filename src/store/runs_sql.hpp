// The statements of the run registry (runs.cpp) as pure functions of their inputs, so that each can be
// tested alone (tests/unit/store/sql_safety_test.cpp). Every run id is validated here (InputError
// naming it), names go through identifier() and values through string_literal() (store/sql_text.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/runs.hpp"

namespace ypa::store {

// table, partition, rows, bytes, min and max bucket of the active partitions of `tables` of `database`;
// with `cluster` (not "") those of <table>_local on one replica of every shard.
std::string partitions_sql(const std::string& database, const std::vector<std::string>& tables,
                           const std::string& cluster);
// run_id, the largest inserted_at (UInt32) of each run in `table`.
std::string last_inserts_sql(const std::string& database, std::string_view table);
std::string drop_partition_sql(const std::string& database, std::string_view table, std::string_view run_id,
                               int month);
// The month `month` of `run_id` of `table` swapped for that partition of `from`, in one step.
std::string replace_partition_sql(const std::string& database, std::string_view table,
                                  std::string_view run_id, int month, std::string_view from);
// One row, one column: the rows of month `month` of `run_id` in `table`.
std::string count_month_sql(const std::string& database, std::string_view table, std::string_view run_id,
                            int month);
// One server's staging table: the structure, partitioning and order of `table`.
std::string create_staging_table_sql(const std::string& database, std::string_view staging,
                                     std::string_view table);
// The statement that copies month `month` of run `source` of `table`, deduplicated, into `staging` as
// run `target` with inserted_at = now(). `columns` are the table's columns in order.
std::string copy_month_sql(std::string_view database, std::string_view table, std::string_view staging,
                           const std::vector<std::string>& columns, std::string_view source,
                           std::string_view target, int month);
// month, deduplicated rows of `source`, of `target` in `table` (a run table or a shard's _local one).
std::string verify_counts_sql(const std::string& database, std::string_view table, std::string_view source,
                              std::string_view target);

// The promote journal of one server (a cluster's: create_cluster_journal_sql in store/cluster.hpp).
std::string create_journal_sql(const std::string& database);
// One row, one column: the seq of the next promote into `target`, one more than any in the journal.
std::string next_promote_seq_sql(const std::string& database, std::string_view target);
// Appends `phase` of the promote number `seq` (all phases of one promote share it).
std::string journal_insert_sql(const std::string& database, const PromoteOptions& options,
                               std::string_view backup, PromotePhase phase, std::uint64_t seq);
// target, source, backup, keep_backup, drop_source, phase, seq of the newest journal entry of every
// target whose newest entry is not `done`; newest = largest (seq, rank of the phase) (docs/runs.md).
std::string unfinished_promotes_sql(const std::string& database);

}  // namespace ypa::store
