#include "store/runs_sql.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "store/cluster.hpp"
#include "store/run_id.hpp"
#include "store/sql_text.hpp"

namespace ypa::store {
namespace {

// The phases in the order a promote journals them: ['started', 'backed_up', ...] for indexOf().
std::string phase_order() {
  std::vector<std::string> names;
  for (auto p : {PromotePhase::kStarted, PromotePhase::kBackedUp, PromotePhase::kReplaced,
                 PromotePhase::kVerified, PromotePhase::kDone}) {
    names.push_back(string_literal(phase_name(p)));
  }
  return fmt::format("[{}]", fmt::join(names, ", "));
}

}  // namespace

std::string partitions_sql(const std::string& database, const std::vector<std::string>& tables,
                           const std::string& cluster) {
  // On a cluster the cluster() table function reads system.parts of one replica per shard
  // (clusterAllReplicas is newer than 18.16), so rows and bytes count each shard once, not each copy.
  std::vector<std::string> names;
  for (const auto& t : tables) names.push_back(string_literal(cluster.empty() ? t : local_table_name(t)));
  std::string parts =
      cluster.empty() ? "system.parts" : fmt::format("cluster({}, system, parts)", string_literal(cluster));
  return fmt::format(
      "SELECT table, partition, sum(rows), sum(bytes_on_disk), toUInt32(min(min_time)), "
      "toUInt32(max(max_time)) "
      "FROM {} WHERE database = {} AND table IN ({}) AND active GROUP BY table, partition",
      parts, string_literal(database), fmt::join(names, ", "));
}

std::string last_inserts_sql(const std::string& database, std::string_view table) {
  return fmt::format("SELECT run_id, toUInt32(max(inserted_at)) FROM {} GROUP BY run_id",
                     qualified_table(database, table));
}

std::string drop_partition_sql(const std::string& database, std::string_view table, std::string_view run_id,
                               int month) {
  return fmt::format("ALTER TABLE {} DROP PARTITION {}", qualified_table(database, table),
                     partition_literal(run_id, month));
}

std::string replace_partition_sql(const std::string& database, std::string_view table,
                                  std::string_view run_id, int month, std::string_view from) {
  return fmt::format("ALTER TABLE {} REPLACE PARTITION {} FROM {}", qualified_table(database, table),
                     partition_literal(run_id, month), qualified_table(database, from));
}

std::string count_month_sql(const std::string& database, std::string_view table, std::string_view run_id,
                            int month) {
  validate_run_id(run_id, "run_id");
  return fmt::format("SELECT count() FROM {} WHERE run_id = {} AND toYYYYMM(bucket) = {}",
                     qualified_table(database, table), string_literal(run_id), month);
}

std::string create_staging_table_sql(const std::string& database, std::string_view staging,
                                     std::string_view table) {
  return fmt::format("CREATE TABLE IF NOT EXISTS {} AS {}", qualified_table(database, staging),
                     qualified_table(database, table));
}

std::string copy_month_sql(std::string_view database, std::string_view table, std::string_view staging,
                           const std::vector<std::string>& columns, std::string_view source,
                           std::string_view target, int month) {
  validate_run_id(source, "source run_id");
  validate_run_id(target, "target run_id");
  // INSERT ... SELECT maps columns by position. The new run id and now() carry no alias on purpose: an
  // alias named run_id would also rewrite run_id in the WHERE clause.
  std::vector<std::string> select;
  for (const auto& c : columns) {
    if (c == "run_id") {
      select.push_back(string_literal(target));
    } else if (c == "inserted_at") {
      select.push_back("now()");
    } else {
      select.push_back(identifier(c));
    }
  }
  std::vector<std::string> quoted;
  for (const auto& c : columns) quoted.push_back(identifier(c));
  return fmt::format(
      "INSERT INTO {} ({}) SELECT {} FROM {} FINAL WHERE run_id = {} AND toYYYYMM(bucket) = {}",
      qualified_table(database, staging), fmt::join(quoted, ", "), fmt::join(select, ", "),
      qualified_table(database, table), string_literal(source), month);
}

std::string verify_counts_sql(const std::string& database, std::string_view table, std::string_view source,
                              std::string_view target) {
  validate_run_id(source, "source run_id");
  validate_run_id(target, "target run_id");
  return fmt::format(
      "SELECT toYYYYMM(bucket) AS month, countIf(run_id = {0}), countIf(run_id = {1}) FROM {2} FINAL WHERE "
      "run_id IN ({0}, {1}) GROUP BY month",
      string_literal(source), string_literal(target), qualified_table(database, table));
}

std::string create_journal_sql(const std::string& database) {
  return fmt::format("CREATE TABLE IF NOT EXISTS {} {} ENGINE = MergeTree {}",
                     qualified_table(database, kPromoteJournal), kPromoteJournalColumns,
                     kPromoteJournalOrder);
}

std::string next_promote_seq_sql(const std::string& database, std::string_view target) {
  validate_run_id(target, "target run_id");
  // max() of no rows is 0 on a UInt64 column: the first promote into a target is number 1.
  return fmt::format("SELECT max(seq) + 1 FROM {} WHERE target = {}",
                     qualified_table(database, kPromoteJournal), string_literal(target));
}

std::string journal_insert_sql(const std::string& database, const PromoteOptions& options,
                               std::string_view backup, PromotePhase phase, std::uint64_t seq) {
  validate_run_id(options.target, "target run_id");
  validate_run_id(options.source, "source run_id");
  if (!backup.empty()) validate_run_id(backup, "backup run_id");
  // INSERT ... SELECT runs entirely on the server: one statement, one atomic block.
  return fmt::format(
      "INSERT INTO {} (target, source, backup, keep_backup, drop_source, phase, seq) SELECT {}, {}, {}, {}, "
      "{}, "
      "{}, {}",
      qualified_table(database, kPromoteJournal), string_literal(options.target),
      string_literal(options.source), string_literal(backup), options.keep_backup ? 1 : 0,
      options.drop_source ? 1 : 0, string_literal(phase_name(phase)), seq);
}

std::string unfinished_promotes_sql(const std::string& database) {
  // The newest entry of a target is the one with the largest (seq, phase rank): a later promote has a
  // larger seq, and within one promote the phases only go forward. No clock takes part (docs/runs.md).
  return fmt::format(
      "SELECT target, argMax(source, k), argMax(backup, k), argMax(keep_backup, k), argMax(drop_source, k), "
      "argMax(phase, k) AS last_phase, argMax(seq, k) FROM (SELECT target, source, backup, keep_backup, "
      "drop_source, phase, seq, (seq, indexOf({}, phase)) AS k FROM {}) GROUP BY target HAVING last_phase != "
      "{} ORDER BY target",
      phase_order(), qualified_table(database, kPromoteJournal),
      string_literal(phase_name(PromotePhase::kDone)));
}

}  // namespace ypa::store
