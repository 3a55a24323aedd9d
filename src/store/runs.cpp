#include "store/runs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <regex>

#include "clickhouse/client.hpp"
#include "core/clock.hpp"
#include "core/errors.hpp"
#include "store/cluster.hpp"
#include "store/failpoint.hpp"
#include "store/names.hpp"
#include "store/run_id.hpp"
#include "store/runs_sql.hpp"
#include "store/sql_text.hpp"

namespace ypa::store {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::uint64_t to_u64(const std::optional<std::string>& cell) {
  return cell ? std::stoull(*cell) : 0;
}

std::optional<PromotePhase> phase_from_name(std::string_view name) {
  for (auto p : {PromotePhase::kStarted, PromotePhase::kBackedUp, PromotePhase::kReplaced,
                 PromotePhase::kVerified, PromotePhase::kDone}) {
    if (phase_name(p) == name) return p;
  }
  return std::nullopt;
}

void say(const ProgressFn& progress, const std::string& line) {
  if (progress) progress(line);
}

}  // namespace

const std::vector<std::string>& run_tables() {
  static const std::vector<std::string> tables{"price_aligned", "features_wide", "shop_health"};
  return tables;
}

std::vector<std::string> parse_tables(std::string_view csv) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= csv.size()) {
    auto comma = csv.find(',', start);
    std::string name(
        csv.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (std::find(run_tables().begin(), run_tables().end(), name) == run_tables().end()) {
      throw InputError(fmt::format("--tables: \"{}\" is not a run table (expected {})", name,
                                   fmt::join(run_tables(), ", ")));
    }
    if (std::find(out.begin(), out.end(), name) != out.end()) {
      throw InputError(fmt::format("--tables: {} is listed twice", name));
    }
    out.push_back(std::move(name));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<PartitionKey> parse_partition(std::string_view text) {
  // ('run',202501): the run id is a quoted string with backslash escapes, the month a plain integer.
  if (text.size() < 7 || text.substr(0, 2) != "('" || text.back() != ')') return std::nullopt;
  auto sep = text.rfind("',");
  if (sep == std::string_view::npos || sep < 2) return std::nullopt;
  PartitionKey key;
  for (std::size_t i = 2; i < sep; ++i) {
    if (text[i] == '\\' && i + 1 < sep) ++i;
    key.run_id += text[i];
  }
  std::string_view month = text.substr(sep + 2, text.size() - sep - 3);
  if (month.size() != 6 || month.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  key.month = std::stoi(std::string(month));
  return key;
}

std::string_view phase_name(PromotePhase phase) {
  switch (phase) {
    case PromotePhase::kStarted:
      return "started";
    case PromotePhase::kBackedUp:
      return "backed_up";
    case PromotePhase::kReplaced:
      return "replaced";
    case PromotePhase::kVerified:
      return "verified";
    case PromotePhase::kDone:
      return "done";
  }
  return "?";
}

std::vector<int> RunInfo::months() const {
  std::set<int> all;
  for (const auto& [_, usage] : tables) all.insert(usage.months.begin(), usage.months.end());
  return {all.begin(), all.end()};
}

EpochSeconds RunInfo::first_bucket() const {
  EpochSeconds first = 0;
  bool any = false;
  for (const auto& [_, usage] : tables) {
    if (!any || usage.first_bucket < first) first = usage.first_bucket;
    any = true;
  }
  return first;
}

EpochSeconds RunInfo::last_bucket() const {
  EpochSeconds last = 0;
  for (const auto& [_, usage] : tables) last = std::max(last, usage.last_bucket);
  return last;
}

std::optional<EpochSeconds> RunInfo::last_insert() const {
  std::optional<EpochSeconds> last;
  for (const auto& [_, usage] : tables) {
    if (usage.last_insert && (!last || *usage.last_insert > *last)) last = usage.last_insert;
  }
  return last;
}

std::uint64_t RunInfo::bytes() const {
  std::uint64_t total = 0;
  for (const auto& [_, usage] : tables) total += usage.bytes;
  return total;
}

nlohmann::json runs_json(const std::vector<RunInfo>& runs, const TimeZone& zone) {
  auto out = nlohmann::json::array();
  for (const auto& r : runs) {
    nlohmann::json tables = nlohmann::json::object();
    for (const auto& [name, usage] : r.tables) {
      tables[name] = {{"rows", usage.rows},
                      {"bytes", usage.bytes},
                      {"months", usage.months},
                      {"first_bucket", format_iso(usage.first_bucket, zone)},
                      {"last_bucket", format_iso(usage.last_bucket, zone)},
                      {"last_insert", usage.last_insert ? nlohmann::json(format_iso(*usage.last_insert, zone))
                                                        : nlohmann::json(nullptr)}};
    }
    auto last_insert = r.last_insert();
    out.push_back({{"run_id", r.run_id},
                   {"months", r.months()},
                   {"first_bucket", format_iso(r.first_bucket(), zone)},
                   {"last_bucket", format_iso(r.last_bucket(), zone)},
                   {"last_insert",
                    last_insert ? nlohmann::json(format_iso(*last_insert, zone)) : nlohmann::json(nullptr)},
                   {"bytes", r.bytes()},
                   {"tables", tables}});
  }
  return out;
}

std::uint64_t DropPlan::rows() const {
  std::uint64_t total = 0;
  for (const auto& p : partitions) total += p.rows;
  return total;
}

std::string backup_run_name(std::string_view yyyymmdd, const std::set<std::string>& existing) {
  // One past the largest suffix taken today, so the new backup also sorts as the newest (a gap left by
  // retention, e.g. backup_D dropped while backup_D_2 stays, must not be reused).
  std::string base = fmt::format("backup_{}", yyyymmdd);
  long largest = 0;
  for (const auto& run : existing) {
    if (run == base) {
      largest = std::max(largest, 1L);
    } else if (run.size() > base.size() + 1 && run.compare(0, base.size() + 1, base + "_") == 0 &&
               run.find_first_not_of("0123456789", base.size() + 1) == std::string::npos &&
               run.size() - base.size() - 1 <= 9) {
      largest = std::max(largest, std::stol(run.substr(base.size() + 1)));
    }
  }
  return largest == 0 ? base : fmt::format("{}_{}", base, largest + 1);
}

std::vector<std::string> backups_to_drop(const std::vector<std::string>& runs, int keep,
                                         const std::set<std::string>& protect) {
  static const std::regex kBackup("backup_(\\d{8})(?:_(\\d+))?");
  struct Backup {
    std::string date;
    long suffix;
    std::string run;
  };
  std::vector<Backup> backups;
  for (const auto& run : runs) {
    std::smatch m;
    if (std::regex_match(run, m, kBackup)) {
      backups.push_back({m[1].str(), m[2].matched ? std::stol(m[2].str()) : 1, run});
    }
  }
  std::sort(backups.begin(), backups.end(), [](const Backup& a, const Backup& b) {
    return a.date != b.date ? a.date > b.date : a.suffix > b.suffix;
  });
  std::vector<std::string> out;
  for (std::size_t i = static_cast<std::size_t>(std::max(keep, 0)); i < backups.size(); ++i) {
    if (protect.count(backups[i].run) == 0) out.push_back(backups[i].run);
  }
  return out;
}

RunStore::RunStore(clickhouse::Client& client, std::string database, PipelineSettings settings)
    : client_(client), database_(std::move(database)), settings_(std::move(settings)) {
  validate_database_name(database_);
}

const std::string& RunStore::cluster() {
  if (!cluster_) cluster_ = table_cluster(client_, database_).value_or("");
  return *cluster_;
}

std::vector<std::unique_ptr<clickhouse::Client>> RunStore::connect_shards() {
  std::vector<std::unique_ptr<clickhouse::Client>> out;
  for (const auto& shard : cluster_shards(client_, cluster())) {
    out.push_back(connect_to_shard(client_.options(), shard));
  }
  return out;
}

std::vector<Partition> RunStore::partitions(const std::vector<std::string>& tables) {
  // On a cluster the partitions are those of <table>_local on every shard.
  const bool on_cluster = !cluster().empty();
  auto rows = client_.select_rows(partitions_sql(database_, tables, cluster()));
  std::vector<Partition> out;
  for (const auto& row : rows) {
    auto key = parse_partition(row.at(1).value_or(""));
    if (!key) continue;  // not a (run_id, month) partition: a table made by someone else
    std::string table = row.at(0).value_or("");
    if (on_cluster) table.resize(table.size() - local_table_name("").size());
    out.push_back(Partition{table, key->run_id, key->month, to_u64(row.at(2)), to_u64(row.at(3)),
                            static_cast<EpochSeconds>(to_u64(row.at(4))),
                            static_cast<EpochSeconds>(to_u64(row.at(5)))});
  }
  auto order = [&](const Partition& p) {
    auto pos = std::find(tables.begin(), tables.end(), p.table) - tables.begin();
    return std::tuple(pos, p.run_id, p.month);
  };
  std::sort(out.begin(), out.end(),
            [&](const Partition& a, const Partition& b) { return order(a) < order(b); });
  return out;
}

std::vector<RunInfo> RunStore::list_runs() {
  std::map<std::string, RunInfo> runs;
  for (const auto& p : partitions()) {
    RunInfo& info = runs[p.run_id];
    info.run_id = p.run_id;
    auto [it, fresh] = info.tables.try_emplace(p.table);
    RunTableUsage& usage = it->second;
    usage.rows += p.rows;
    usage.bytes += p.bytes;
    usage.months.push_back(p.month);
    usage.first_bucket = fresh ? p.first_bucket : std::min(usage.first_bucket, p.first_bucket);
    usage.last_bucket = fresh ? p.last_bucket : std::max(usage.last_bucket, p.last_bucket);
  }
  // The last insert time needs the data itself (parts only know their modification time, which merges
  // change); run_id and inserted_at are cheap columns to scan.
  for (const auto& table : run_tables()) {
    bool present =
        std::any_of(runs.begin(), runs.end(), [&](const auto& r) { return r.second.tables.count(table); });
    if (!present) continue;
    for (const auto& row : client_.select_rows(last_inserts_sql(database_, table))) {
      auto it = runs.find(row.at(0).value_or(""));
      if (it == runs.end()) continue;
      auto usage = it->second.tables.find(table);
      if (usage != it->second.tables.end())
        usage->second.last_insert = static_cast<EpochSeconds>(to_u64(row.at(1)));
    }
  }
  std::vector<RunInfo> out;
  for (auto& [_, info] : runs) out.push_back(std::move(info));
  return out;
}

bool RunStore::run_exists(std::string_view run_id) {
  auto all = partitions();
  return std::any_of(all.begin(), all.end(), [&](const Partition& p) { return p.run_id == run_id; });
}

DropPlan RunStore::plan_drop(std::string_view run_id, const std::vector<std::string>& tables) {
  validate_run_id(run_id, "--run-id");
  auto all = partitions();
  if (std::none_of(all.begin(), all.end(), [&](const Partition& p) { return p.run_id == run_id; })) {
    throw InputError(fmt::format("--run-id: run {} does not exist in {} (no partitions in {})", run_id,
                                 database_, fmt::join(run_tables(), " or ")));
  }
  DropPlan plan{std::string(run_id), tables, {}};
  for (auto& p : all) {
    if (p.run_id == run_id && std::find(tables.begin(), tables.end(), p.table) != tables.end()) {
      plan.partitions.push_back(std::move(p));
    }
  }
  return plan;
}

DropResult RunStore::drop(const DropPlan& plan, bool force_live) {
  validate_run_id(plan.run_id, "--run-id");
  if (plan.run_id == kLiveRun && !force_live) {
    throw InputError("--run-id: dropping the production run live also needs --force-live");
  }
  for (const auto& entry : unfinished_promotes()) {
    if (entry.source == plan.run_id || entry.target == plan.run_id || entry.backup == plan.run_id) {
      throw Error(fmt::format(
          "--run-id: run {} takes part in an unfinished promote of {} into {} (step {}); finish it first "
          "with "
          "`ypa promote_run --from {} --to {} --confirm`",
          plan.run_id, entry.source, entry.target, phase_name(entry.phase), entry.source, entry.target));
    }
  }
  if (!cluster().empty()) {
    std::vector<std::string> locals;
    for (const auto& table : plan.tables) locals.push_back(local_table_name(table));
    require_live_leaders(client_, cluster(), database_, locals,
                         fmt::format("drop_run --run-id {}", plan.run_id));
  }
  auto start = Clock::now();
  drop_partitions(plan.partitions);
  return DropResult{plan, ms_since(start)};
}

void RunStore::drop_partitions(const std::vector<Partition>& partitions) {
  for (const auto& p : partitions) validate_run_id(p.run_id, "partition run id");
  if (!cluster().empty() && !partitions.empty()) {
    // On one replica of each shard, not ON CLUSTER: the replicated table passes the drop on to the other
    // replicas, and a stopped replica does not hold the statement up until the DDL timeout.
    auto shards = connect_shards();
    for (const auto& p : partitions) {
      for (auto& shard : shards) {
        shard->execute(drop_partition_sql(database_, local_table_name(p.table), p.run_id, p.month));
      }
    }
    return;
  }
  for (const auto& p : partitions) {
    client_.execute(drop_partition_sql(database_, p.table, p.run_id, p.month));
  }
}

std::vector<std::pair<std::string, std::string>> RunStore::columns_of(std::string_view table) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : client_.select_rows(table_columns_sql(database_, table))) {
    out.emplace_back(row.at(0).value_or(""), row.at(1).value_or(""));
  }
  return out;
}

void RunStore::ensure_staging(std::string_view table) {
  const bool on_cluster = !cluster().empty();
  auto main_columns = columns_of(on_cluster ? local_table_name(table) : std::string(table));
  if (main_columns.empty()) {
    throw Error(fmt::format("table {}.{} does not exist; run `ypa init` first", database_, table));
  }
  // REPLACE PARTITION needs the very same structure; a staging table left from before an upgrade of the
  // main table (ypa init adding a column) is rebuilt. It only ever holds the month being built.
  std::string staging = std::string(table) + std::string(kPromoteStagingSuffix);
  auto staging_columns = columns_of(staging);
  const bool rebuild = !staging_columns.empty() && staging_columns != main_columns;
  if (on_cluster && (rebuild || staging_columns.empty())) {
    // `ypa init` makes it; only a database made by an older ypa, or upgraded since, needs the DDL here.
    require_every_replica(client_, cluster(),
                          fmt::format("creating the staging table {}.{}", database_, staging));
  }
  if (rebuild) {
    client_.execute(drop_table_sql(database_, staging, cluster()));
    staging_columns.clear();
  }
  if (staging_columns.empty()) {
    client_.execute(on_cluster ? create_staging_sql(database_, cluster(), table, staging)
                               : create_staging_table_sql(database_, staging, table));
  }
}

std::uint64_t RunStore::copy_month(std::string_view table, std::string_view source, std::string_view target,
                                   int month) {
  std::string staging = std::string(table) + std::string(kPromoteStagingSuffix);
  std::vector<std::string> columns;
  for (const auto& [name, type] : columns_of(table)) columns.push_back(name);
  if (!cluster().empty()) return copy_month_on_shards(table, staging, columns, source, target, month);
  // A crash may have left this month half-built in staging; start it afresh.
  client_.execute(drop_partition_sql(database_, staging, target, month));
  client_.execute(copy_month_sql(database_, table, staging, columns, source, target, month));
  auto staged =
      std::stoull(client_.select_value(count_month_sql(database_, staging, target, month)).value_or("0"));
  failpoint("promote_after_stage");
  // REPLACE from an empty staging partition would empty the target month; say what is meant instead.
  client_.execute(staged == 0 ? drop_partition_sql(database_, table, target, month)
                              : replace_partition_sql(database_, table, target, month, staging));
  failpoint("promote_after_replace");
  client_.execute(drop_partition_sql(database_, staging, target, month));
  return staged;
}

std::uint64_t RunStore::copy_month_on_shards(std::string_view table, const std::string& staging,
                                             const std::vector<std::string>& columns, std::string_view source,
                                             std::string_view target, int month) {
  // The single-server steps on each shard's local tables. A key lives on one shard in every run (the
  // sharding key has no run_id), so each shard builds its share from its own rows. Every shard stages
  // before any replaces, to keep short the time in which a reader sees some shards old, some new.
  std::string local = local_table_name(table);
  auto shards = connect_shards();
  std::vector<std::uint64_t> staged;
  for (auto& shard : shards) {
    shard->execute(drop_partition_sql(database_, staging, target, month));
    shard->execute(copy_month_sql(database_, local, staging, columns, source, target, month));
    staged.push_back(
        std::stoull(shard->select_value(count_month_sql(database_, staging, target, month)).value_or("0")));
  }
  failpoint("promote_after_stage");
  for (std::size_t i = 0; i < shards.size(); ++i) {
    // A shard without source rows in this month must lose its target rows, as REPLACE would make it.
    shards[i]->execute(staged[i] == 0 ? drop_partition_sql(database_, local, target, month)
                                      : replace_partition_sql(database_, local, target, month, staging));
  }
  failpoint("promote_after_replace");
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    shards[i]->execute(drop_partition_sql(database_, staging, target, month));
    total += staged[i];
  }
  return total;
}

void RunStore::copy_run(std::string_view source, std::string_view target, const ProgressFn& progress) {
  for (const auto& table : run_tables()) {
    ensure_staging(table);
    auto all = partitions({table});
    std::set<int> source_months;
    for (const auto& p : all) {
      if (p.run_id != source) continue;
      source_months.insert(p.month);
      auto start = Clock::now();
      auto rows = copy_month(table, source, target, p.month);
      say(progress, fmt::format("{} {}: {} -> {}: {} rows ({:.0f} ms)", table, p.month, source, target, rows,
                                ms_since(start)));
    }
    // Only after every month of the source is in place: a reader never sees the target shrink first.
    std::vector<Partition> stale;
    for (const auto& p : partitions({table})) {
      if (p.run_id == target && source_months.count(p.month) == 0) stale.push_back(p);
    }
    drop_partitions(stale);
    for (const auto& p : stale)
      say(progress, fmt::format("{} {}: dropped from {} (not in {})", table, p.month, target, source));
  }
}

std::vector<MonthCheck> RunStore::verify(std::string_view source, std::string_view target) {
  // On a cluster the counts come from the replicas the promote wrote to (one per shard; a key lives on
  // one shard, so the shards' counts add up), not through the Distributed table, which may read a
  // replica that has not applied the last REPLACE yet.
  std::vector<std::unique_ptr<clickhouse::Client>> shards;
  if (!cluster().empty()) shards = connect_shards();
  std::vector<MonthCheck> checks;
  std::vector<std::string> problems;
  for (const auto& table : run_tables()) {
    std::map<int, MonthCheck> months;
    auto count = [&](clickhouse::Client& client, const std::string& counted) {
      for (const auto& row : client.select_rows(verify_counts_sql(database_, counted, source, target))) {
        int month = std::stoi(row.at(0).value_or("0"));
        MonthCheck& c = months.try_emplace(month, MonthCheck{table, month, 0, 0}).first->second;
        c.source_rows += to_u64(row.at(1));
        c.target_rows += to_u64(row.at(2));
      }
    };
    if (shards.empty()) {
      count(client_, table);
    } else {
      for (auto& shard : shards) count(*shard, local_table_name(table));
    }
    for (auto& [_, c] : months) {
      if (c.source_rows != c.target_rows) {
        problems.push_back(fmt::format("{} {}: {} has {} rows, {} has {}", table, c.month, source,
                                       c.source_rows, target, c.target_rows));
      }
      checks.push_back(std::move(c));
    }
  }
  if (!problems.empty()) {
    throw Error(
        fmt::format("promote {} -> {}: verification failed ({}); rerun the same promote_run to repair",
                    source, target, fmt::join(problems, "; ")));
  }
  return checks;
}

void RunStore::ensure_journal() {
  if (!cluster().empty()) {
    ensure_cluster_journal(client_, database_, cluster());
    return;
  }
  client_.execute(create_journal_sql(database_));
}

std::uint64_t RunStore::next_promote_seq(std::string_view target) {
  return std::stoull(client_.select_value(next_promote_seq_sql(database_, target)).value_or("1"));
}

void RunStore::journal(const PromoteOptions& options, std::string_view backup, PromotePhase phase,
                       std::uint64_t seq) {
  std::string insert = journal_insert_sql(database_, options, backup, phase, seq);
  if (cluster().empty()) {
    client_.execute(insert);
    return;
  }
  // Through the Distributed journal the step must be on its shard before the next one starts, whatever
  // the session of client_ says (CLICKHOUSE_CLUSTER may be unset: the cluster was found from the tables).
  clickhouse::ClientOptions options_sync = client_.options();
  options_sync.session_statements.push_back("SET insert_distributed_sync = 1");
  clickhouse::Client(options_sync).execute(insert);
}

std::vector<PromoteJournalEntry> RunStore::unfinished_promotes() {
  if (client_.select_rows(table_engine_sql(database_, kPromoteJournal)).empty()) return {};
  std::vector<PromoteJournalEntry> out;
  for (const auto& row : client_.select_rows(unfinished_promotes_sql(database_))) {
    auto phase = phase_from_name(row.at(5).value_or(""));
    if (!phase)
      throw Error(fmt::format("{}.{}: unknown phase {}", database_, kPromoteJournal,
                              printable(row.at(5).value_or(""))));
    out.push_back(PromoteJournalEntry{row.at(0).value_or(""), row.at(1).value_or(""), row.at(2).value_or(""),
                                      row.at(3).value_or("0") != "0", row.at(4).value_or("0") != "0", *phase,
                                      to_u64(row.at(6))});
  }
  return out;
}

std::string RunStore::today() const {
  TimeZone zone(settings_.time_zone);
  LocalDateTime l = zone.to_local(clock::now_seconds());
  return fmt::format("{:04}{:02}{:02}", l.year, l.month, l.day);
}

PromotePlan RunStore::plan_promote(const PromoteOptions& options) {
  validate_run_id(options.source, "--from");
  validate_run_id(options.target, "--to");
  if (options.source == options.target) {
    throw InputError(fmt::format("--to: the target {} is the source itself", options.target));
  }
  PromotePlan plan{options, std::nullopt, {}, {}, ""};
  for (auto& entry : unfinished_promotes()) {
    if (entry.target == options.source) {
      throw InputError(
          fmt::format("--from: run {} is the target of an unfinished promote from {}; finish it first",
                      options.source, entry.source));
    }
    if (entry.target != options.target) continue;
    if (entry.source != options.source) {
      throw InputError(
          fmt::format("--to: an unfinished promote of {} into {} (step {}) must be finished first: `ypa "
                      "promote_run --from {} "
                      "--to {} --confirm`",
                      entry.source, entry.target, phase_name(entry.phase), entry.source, entry.target));
    }
    plan.options.keep_backup = entry.keep_backup;
    plan.options.drop_source = entry.drop_source;
    plan.backup_run = entry.backup;
    plan.resume = std::move(entry);
  }
  auto all = partitions();
  std::set<std::pair<std::string, int>> source_months;
  std::set<std::string> runs;
  bool target_exists = false;
  for (const auto& p : all) {
    runs.insert(p.run_id);
    if (p.run_id == options.source) {
      source_months.insert({p.table, p.month});
      plan.replace.push_back({p.table, p.month, p.rows});
    }
    target_exists = target_exists || p.run_id == options.target;
  }
  for (const auto& p : all) {
    if (p.run_id == options.target && source_months.count({p.table, p.month}) == 0) {
      plan.drop.push_back({p.table, p.month, p.rows});
    }
  }
  bool source_may_be_gone = plan.resume && plan.resume->phase >= PromotePhase::kVerified;
  if (source_months.empty() && !source_may_be_gone) {
    throw InputError(fmt::format("--from: run {} does not exist in {} (no partitions in {})", options.source,
                                 database_, fmt::join(run_tables(), " or ")));
  }
  if (!plan.resume && options.keep_backup && target_exists) plan.backup_run = backup_run_name(today(), runs);
  return plan;
}

PromoteResult RunStore::promote(const PromoteOptions& options, const ProgressFn& progress) {
  auto start = Clock::now();
  if (options.keep_backup && settings_.backup_keep < 1) {
    throw InputError(fmt::format("--keep-backup: BACKUP_KEEP is {}, so the backup would be dropped at once",
                                 settings_.backup_keep));
  }
  PromoteResult result{plan_promote(options), {}, {}, false, 0};
  const PromotePlan& plan = result.plan;
  const PromoteOptions& opts = plan.options;
  // Every table the steps use, before the first step: a database made by an older ypa may still need
  // DDL here, which on a cluster fails at once when a replica is down, and then nothing has changed.
  ensure_journal();
  for (const auto& table : run_tables()) ensure_staging(table);
  if (!cluster().empty()) {
    std::vector<std::string> dropped_in;
    for (const auto& table : run_tables()) {
      dropped_in.push_back(local_table_name(table));
      dropped_in.push_back(table + std::string(kPromoteStagingSuffix));
    }
    require_live_leaders(client_, cluster(), database_, dropped_in,
                         fmt::format("promote_run --from {} --to {}", opts.source, opts.target));
  }
  // The journal's order (docs/runs.md, "Journal order"): every phase of this promote is journaled with
  // the same seq, the promote's number for its target, and resumption takes the largest (seq, phase
  // rank). A new promote takes one more than the largest seq in the journal, read from the journal itself
  // on the server, so no host's clock takes part: a clock stepped back, or another host with another
  // clock finishing a promote that this one started, cannot make an earlier phase look newer. Within a
  // promote the phases only go forward (each is journaled after the step it names and a resumed promote
  // continues after the last one), so the largest rank is the step reached. Two promotes into one target
  // at the same moment could take the same seq; that is not supported (docs/runs.md).
  PromotePhase phase = PromotePhase::kStarted;
  std::uint64_t seq = 0;
  if (plan.resume) {
    phase = plan.resume->phase;
    seq = plan.resume->seq;
    say(progress, fmt::format("resuming the promote of {} into {} after step {}", opts.source, opts.target,
                              phase_name(phase)));
  } else {
    seq = next_promote_seq(opts.target);
    journal(opts, plan.backup_run, PromotePhase::kStarted, seq);
  }

  if (phase == PromotePhase::kStarted) {
    // The target is untouched until this step is journaled, so redoing the backup after a crash is safe.
    if (!plan.backup_run.empty()) {
      copy_run(opts.target, plan.backup_run, progress);
      std::vector<std::string> runs;
      for (const auto& p : partitions()) runs.push_back(p.run_id);
      std::sort(runs.begin(), runs.end());
      runs.erase(std::unique(runs.begin(), runs.end()), runs.end());
      for (const auto& old : backups_to_drop(runs, settings_.backup_keep, {opts.source, plan.backup_run})) {
        std::vector<Partition> parts;
        for (auto& p : partitions()) {
          if (p.run_id == old) parts.push_back(std::move(p));
        }
        drop_partitions(parts);
        result.dropped_backups.push_back(old);
        say(progress, fmt::format("dropped old backup {} (BACKUP_KEEP={})", old, settings_.backup_keep));
      }
    }
    journal(opts, plan.backup_run, PromotePhase::kBackedUp, seq);
    failpoint("promote_after_backup");
    phase = PromotePhase::kBackedUp;
  }
  if (phase == PromotePhase::kBackedUp) {
    copy_run(opts.source, opts.target, progress);
    failpoint("promote_before_journal_replaced");
    journal(opts, plan.backup_run, PromotePhase::kReplaced, seq);
    phase = PromotePhase::kReplaced;
  }
  if (phase == PromotePhase::kReplaced) {
    result.verified = verify(opts.source, opts.target);
    say(progress, fmt::format("verified {} months: row counts of {} equal those of {}",
                              result.verified.size(), opts.target, opts.source));
    journal(opts, plan.backup_run, PromotePhase::kVerified, seq);
    failpoint("promote_after_verify");
    phase = PromotePhase::kVerified;
  }
  if (phase == PromotePhase::kVerified) {
    if (opts.drop_source) {
      std::vector<Partition> parts;
      for (auto& p : partitions()) {
        if (p.run_id == opts.source) parts.push_back(std::move(p));
      }
      for (const auto& p : parts) {
        drop_partitions({p});
        failpoint("promote_during_drop_source");
      }
      result.source_dropped = true;
      say(progress, fmt::format("dropped the source {} ({} partitions)", opts.source, parts.size()));
    }
    journal(opts, plan.backup_run, PromotePhase::kDone, seq);
  }
  result.elapsed_ms = ms_since(start);
  return result;
}

}  // namespace ypa::store
