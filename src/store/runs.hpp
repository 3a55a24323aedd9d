// The run registry of SPEC §8 on ClickHouse: list, drop and promote runs, where a run is the set of
// (run_id, Tokyo month) partitions of price_aligned and features_wide. Shared by the CLI and the API;
// every run id is validated here before it reaches SQL text.
//
//   ypa::store::RunStore runs(client, "yamagoti", pipeline_settings);
//   auto plan = runs.plan_drop("bf1", ypa::store::run_tables());
//   auto result = runs.drop(plan, /*force_live=*/false);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/settings.hpp"
#include "core/time.hpp"

namespace ypa::clickhouse {
class Client;
}

namespace ypa::store {

// promote_run builds each month in <table>_promote_staging and journals its steps in run_promotions
// (columns and ORDER BY shared by the one-server table and the cluster's, store/cluster.hpp). seq is the
// promote's number for its target (one more than any before it), shared by all its phases: the
// journal's order is (seq, phase), no clock's (docs/runs.md). Journals written by earlier versions hold
// the host's clock in nanoseconds there; new numbers continue above them.
inline constexpr std::string_view kPromoteStagingSuffix = "_promote_staging";
inline constexpr std::string_view kPromoteJournal = "run_promotions";
inline constexpr std::string_view kPromoteJournalColumns =
    "(target String, source String, backup String, keep_backup UInt8, drop_source UInt8, phase String, seq "
    "UInt64, at DateTime DEFAULT now())";
inline constexpr std::string_view kPromoteJournalOrder = "ORDER BY (target, seq)";

// The tables partitioned by (run_id, toYYYYMM(bucket)), in the order commands treat them.
const std::vector<std::string>& run_tables();
// "price_aligned,features_wide" -> the list; InputError naming --tables for an unknown or repeated name.
std::vector<std::string> parse_tables(std::string_view csv);

// A partition as system.parts prints it: ('bf1',202501).
struct PartitionKey {
  std::string run_id;
  int month = 0;  // YYYYMM, a month in the pipeline's zone
  friend bool operator==(const PartitionKey&, const PartitionKey&) = default;
};
std::optional<PartitionKey> parse_partition(std::string_view text);

// One active partition with the totals of its parts (rows before deduplication).
struct Partition {
  std::string table;
  std::string run_id;
  int month = 0;
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  EpochSeconds first_bucket = 0;
  EpochSeconds last_bucket = 0;
};

struct RunTableUsage {
  std::uint64_t rows = 0;  // stored rows: replaced rows count until ClickHouse merges them away
  std::uint64_t bytes = 0;
  std::vector<int> months;
  EpochSeconds first_bucket = 0;
  EpochSeconds last_bucket = 0;
  std::optional<EpochSeconds> last_insert;
};

struct RunInfo {
  std::string run_id;
  std::map<std::string, RunTableUsage> tables;  // only tables that hold the run
  std::vector<int> months() const;              // union over tables, ascending
  EpochSeconds first_bucket() const;
  EpochSeconds last_bucket() const;
  std::optional<EpochSeconds> last_insert() const;
  std::uint64_t bytes() const;
};

// list_runs as JSON (shared with the API): one object per run, times ISO 8601 in `zone`.
nlohmann::json runs_json(const std::vector<RunInfo>& runs, const TimeZone& zone);

struct DropPlan {
  std::string run_id;
  std::vector<std::string> tables;
  std::vector<Partition> partitions;
  std::uint64_t rows() const;
};

struct DropResult {
  DropPlan plan;
  double elapsed_ms = 0;
};

struct PromoteOptions {
  std::string source;
  std::string target;
  bool keep_backup = false;
  bool drop_source = false;
};

// Steps of a promote, in order, as recorded in the journal table run_promotions.
enum class PromotePhase { kStarted, kBackedUp, kReplaced, kVerified, kDone };
std::string_view phase_name(PromotePhase phase);

// The newest journal entry of an unfinished promote into `target`.
struct PromoteJournalEntry {
  std::string target;
  std::string source;
  std::string backup;  // "" without --keep-backup or when the target was empty
  bool keep_backup = false;
  bool drop_source = false;
  PromotePhase phase = PromotePhase::kStarted;
  std::uint64_t seq = 0;  // the promote's number for its target, shared by all its phases
};

struct MonthPlan {
  std::string table;
  int month = 0;
  std::uint64_t rows = 0;  // stored rows of the partition
};

struct PromotePlan {
  PromoteOptions options;                     // as they will run (a resumed promote keeps its own)
  std::optional<PromoteJournalEntry> resume;  // set when this finishes an interrupted promote
  std::vector<MonthPlan> replace;             // source months that replace (or create) target months
  std::vector<MonthPlan> drop;                // target months the source lacks
  std::string backup_run;                     // "" for none
};

struct MonthCheck {
  std::string table;
  int month = 0;
  std::uint64_t source_rows = 0;  // deduplicated
  std::uint64_t target_rows = 0;
};

struct PromoteResult {
  PromotePlan plan;
  std::vector<MonthCheck> verified;
  std::vector<std::string> dropped_backups;
  bool source_dropped = false;
  double elapsed_ms = 0;
};

// backup_YYYYMMDD when that day has no backup yet, else the day's largest suffix plus one (_2, _3, ...),
// so that the new backup is always the newest.
std::string backup_run_name(std::string_view yyyymmdd, const std::set<std::string>& existing);
// The backup_* runs among `runs` beyond the newest `keep` (newest: later date, then larger suffix),
// never one in `protect` (the source of the running promote, the backup it just made).
std::vector<std::string> backups_to_drop(const std::vector<std::string>& runs, int keep,
                                         const std::set<std::string>& protect);

using ProgressFn = std::function<void(const std::string& line)>;

class RunStore {
 public:
  RunStore(clickhouse::Client& client, std::string database, PipelineSettings settings);

  const std::string& database() const { return database_; }
  // Active partitions of the run tables (all runs), ordered by table, run, month.
  std::vector<Partition> partitions(const std::vector<std::string>& tables = run_tables());
  std::vector<RunInfo> list_runs();
  bool run_exists(std::string_view run_id);

  // What drop() would remove. Validates the run id; InputError when the run has no partition in any
  // run table (an unknown run).
  DropPlan plan_drop(std::string_view run_id, const std::vector<std::string>& tables);
  // Drops the plan's partitions. InputError for `live` without force_live, Error while the run takes
  // part in an unfinished promote; both before anything changes.
  DropResult drop(const DropPlan& plan, bool force_live);

  // What promote() would do; validates both ids, InputError when the source does not exist or another
  // promote into the target is unfinished.
  PromotePlan plan_promote(const PromoteOptions& options);
  // Makes the target equal to the source one month partition at a time (see docs/runs.md), resuming
  // an interrupted promote of the same source into the same target. Error when verification fails.
  PromoteResult promote(const PromoteOptions& options, const ProgressFn& progress = {});

  std::vector<PromoteJournalEntry> unfinished_promotes();

 private:
  // The cluster behind the run tables ("" on one server), read once from the tables themselves
  // (store/cluster.hpp): on a cluster, partitions live in <table>_local on every shard.
  const std::string& cluster();
  // One connection per shard of the cluster, to the first replica that answers.
  std::vector<std::unique_ptr<clickhouse::Client>> connect_shards();
  // (name, type) of each column of `table`, in order; empty when there is no such table.
  std::vector<std::pair<std::string, std::string>> columns_of(std::string_view table);
  void ensure_staging(std::string_view table);
  void ensure_journal();
  // One more than the largest seq journaled for `target` (1 for the first promote into it).
  std::uint64_t next_promote_seq(std::string_view target);
  void journal(const PromoteOptions& options, std::string_view backup, PromotePhase phase, std::uint64_t seq);
  // Rebuilds month `month` of run `target` as a deduplicated copy of run `source`, atomically.
  std::uint64_t copy_month(std::string_view table, std::string_view source, std::string_view target,
                           int month);
  // copy_month() on a cluster: the same steps on every shard's local tables.
  std::uint64_t copy_month_on_shards(std::string_view table, const std::string& staging,
                                     const std::vector<std::string>& columns, std::string_view source,
                                     std::string_view target, int month);
  // Makes run `target` equal to run `source` in every run table; returns the months copied.
  void copy_run(std::string_view source, std::string_view target, const ProgressFn& progress);
  std::vector<MonthCheck> verify(std::string_view source, std::string_view target);
  void drop_partitions(const std::vector<Partition>& partitions);
  std::string today() const;

  clickhouse::Client& client_;
  std::string database_;
  PipelineSettings settings_;
  std::optional<std::string> cluster_;
};

}  // namespace ypa::store
