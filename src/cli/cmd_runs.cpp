// Run management subcommands (SPEC §8): list_runs, drop_run, promote_run, compare_runs. Flags and
// output live here; what they do lives in store/runs and store/compare, shared with the API.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.hpp"
#include "clickhouse/client.hpp"
#include "core/env.hpp"
#include "core/errors.hpp"
#include "core/settings.hpp"
#include "core/time.hpp"
#include "store/compare.hpp"
#include "store/run_id.hpp"
#include "store/runs.hpp"

namespace ypa::cli {
namespace {

struct RunOptions {
  std::string run_id, from_run, to_run, base, target, tables, from, to, scope;
  double tolerance = 1e-9;
  bool confirm = false, force_live = false, keep_backup = false, drop_source = false, json = false;
};

// Settings and one connection, opened only after the flags have been validated.
struct Session {
  ClickHouseSettings clickhouse = ClickHouseSettings::from_env();
  PipelineSettings pipeline = PipelineSettings::from_env();
  TimeZone zone{pipeline.time_zone};
  clickhouse::Client client{clickhouse::ClientOptions::from_settings(clickhouse)};
  store::RunStore runs{client, clickhouse.database, pipeline};
};

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

std::string months_text(const std::vector<int>& months) {
  if (months.empty()) return "-";
  if (months.size() == 1) return std::to_string(months.front());
  return fmt::format("{}..{} ({})", months.front(), months.back(), months.size());
}

void out(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void list_runs(const RunOptions& o) {
  Session s;
  auto runs = s.runs.list_runs();
  if (o.json) {
    out(store::runs_json(runs, s.zone).dump(2));
    return;
  }
  out(fmt::format("{:<24} {:>14} {:>14} {:>12} {:<20} {:<25} {:<25} {:<25} {:>10}", "run_id", "price_aligned",
                  "features_wide", "shop_health", "months", "first bucket", "last bucket", "last insert", "on disk"));
  for (const auto& r : runs) {
    auto rows = [&](const char* table) {
      auto it = r.tables.find(table);
      return it == r.tables.end() ? std::string("-") : std::to_string(it->second.rows);
    };
    auto last_insert = r.last_insert();
    out(fmt::format("{:<24} {:>14} {:>14} {:>12} {:<20} {:<25} {:<25} {:<25} {:>10}", r.run_id,
                    rows("price_aligned"), rows("features_wide"), rows("shop_health"), months_text(r.months()),
                    format_iso(r.first_bucket(), s.zone), format_iso(r.last_bucket(), s.zone),
                    last_insert ? format_iso(*last_insert, s.zone) : "-", human_bytes(r.bytes())));
  }
  if (runs.empty()) out("(no runs)");
  for (const auto& p : s.runs.unfinished_promotes()) {
    out(fmt::format(
        "note: the promote of {} into {} stopped after step {}; rerun `ypa promote_run --from {} --to {} "
        "--confirm` to finish it",
        p.source, p.target, store::phase_name(p.phase), p.source, p.target));
  }
}

void drop_run(const RunOptions& o) {
  store::validate_run_id(o.run_id, "--run-id");
  auto tables = o.tables.empty() ? store::run_tables() : store::parse_tables(o.tables);
  Session s;
  auto plan = s.runs.plan_drop(o.run_id, tables);
  for (const auto& p : plan.partitions) {
    out(fmt::format("  {} ('{}', {}): {} rows, {}", p.table, p.run_id, p.month, p.rows,
                    human_bytes(p.bytes)));
  }
  if (!o.confirm) {
    out(fmt::format(
        "dry run: would drop {} partitions ({} rows) of run {}{}; nothing changed, rerun with --confirm",
        plan.partitions.size(), plan.rows(), plan.run_id,
        plan.run_id == store::kLiveRun && !o.force_live ? " (dropping live also needs --force-live)" : ""));
    throw ExitWith{static_cast<int>(ExitCode::kNegative)};
  }
  auto result = s.runs.drop(plan, o.force_live);
  out(fmt::format("dropped run {}: {} partitions, {} rows in {:.1f} ms", plan.run_id, plan.partitions.size(),
                  plan.rows(), result.elapsed_ms));
}

void promote_run(const RunOptions& o) {
  store::validate_run_id(o.from_run, "--from");
  store::validate_run_id(o.to_run, "--to");
  Session s;
  store::PromoteOptions options{o.from_run, o.to_run, o.keep_backup, o.drop_source};
  auto plan = s.runs.plan_promote(options);
  const auto& p = plan.options;
  if (plan.resume) {
    out(fmt::format("an earlier promote of {} into {} stopped after step {}; this run finishes it", p.source,
                    p.target, store::phase_name(plan.resume->phase)));
    if (p.keep_backup != o.keep_backup || p.drop_source != o.drop_source) {
      out(fmt::format(
          "note: finishing with the interrupted promote's options (--keep-backup {}, --drop-source {})",
          p.keep_backup ? "on" : "off", p.drop_source ? "on" : "off"));
    }
  }
  for (const auto& m : plan.replace) {
    out(fmt::format("  {} {}: {} -> {} ({} stored rows)", m.table, m.month, p.source, p.target, m.rows));
  }
  for (const auto& m : plan.drop) {
    out(fmt::format("  {} {}: dropped from {}, not in {} ({} rows)", m.table, m.month, p.target, p.source,
                    m.rows));
  }
  if (!plan.backup_run.empty()) out(fmt::format("  backup of {} first: {}", p.target, plan.backup_run));
  if (p.keep_backup && plan.backup_run.empty() && !plan.resume)
    out(fmt::format("  {} is empty: no backup", p.target));
  if (p.drop_source) out(fmt::format("  then drop {} after verification", p.source));
  if (!o.confirm) {
    out("dry run: nothing changed, rerun with --confirm");
    throw ExitWith{static_cast<int>(ExitCode::kNegative)};
  }
  auto result = s.runs.promote(options, [](const std::string& line) { out("  " + line); });
  std::uint64_t rows = 0;
  for (const auto& c : result.verified) rows += c.target_rows;
  out(fmt::format("promoted {} into {}: {} months, {} rows verified{}{} in {:.1f} ms", p.source, p.target,
                  result.verified.size(), rows,
                  plan.backup_run.empty() ? "" : fmt::format(", backup {}", plan.backup_run),
                  result.source_dropped ? fmt::format(", {} dropped", p.source) : "", result.elapsed_ms));
}

void compare_runs(const RunOptions& o) {
  store::validate_run_id(o.base, "--base");
  store::validate_run_id(o.target, "--target");
  auto pipeline = PipelineSettings::from_env();
  BucketGrid grid(TimeZone(pipeline.time_zone), pipeline.interval_min);
  store::CompareOptions options;
  options.base = o.base;
  options.target = o.target;
  options.tolerance = o.tolerance;
  if (!o.from.empty() && !o.to.empty()) {
    auto range = parse_bucket_range(o.from, o.to, grid);
    options.from = range.first;
    options.to = range.last;
  } else if (!o.from.empty()) {
    options.from = parse_bucket_range(o.from, o.from, grid).first;
  } else if (!o.to.empty()) {
    options.to = parse_bucket_range(o.to, o.to, grid).last;
  }
  for (std::size_t start = 0; !o.scope.empty() && start <= o.scope.size();) {
    auto comma = o.scope.find(',', start);
    options.scopes.push_back(
        o.scope.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  // Not in --help (docs/runs.md): the stored rows x value columns one slice reads at most, about 9 bytes
  // a cell of this process's memory for the base run's half; tests lower it to exercise slicing.
  options.slice_cells = static_cast<std::uint64_t>(env::get_int(
      "YPA_COMPARE_SLICE_CELLS", static_cast<std::int64_t>(options.slice_cells), 1, std::int64_t{1} << 40));
  Session s;
  auto result = store::compare_runs(s.client, s.clickhouse.database, options, s.zone);
  if (o.json) {
    out(store::comparison_json(result, s.zone).dump(2));
  } else {
    std::fputs(store::format_comparison(result, s.zone).c_str(), stdout);
  }
  if (!result.equal()) throw ExitWith{static_cast<int>(ExitCode::kNegative)};
}

}  // namespace

void add_run_commands(CLI::App& app) {
  auto opt = std::make_shared<RunOptions>();

  auto* list = app.add_subcommand("list_runs", "List runs: rows per table, months, first/last bucket, size");
  list->add_flag("--json", opt->json, "Print JSON instead of a table");
  list->callback([opt] { list_runs(*opt); });

  auto* drop = app.add_subcommand(
      "drop_run",
      "Drop every partition of one run (dry run without --confirm).\n"
      "Prints the partitions, their rows and the elapsed milliseconds. Exit 1 for a dry run.");
  drop->add_option("--run-id", opt->run_id, "Run to drop, ^[A-Za-z0-9_]{1,64}$")->required();
  drop->add_flag("--confirm", opt->confirm,
                 "Really drop; without it, print what would be dropped and exit 1");
  drop->add_flag("--force-live", opt->force_live, "Required to drop the run 'live'");
  drop->add_option("--tables", opt->tables, "price_aligned,features_wide,shop_health (default: all three)")->check(non_empty());
  drop->callback([opt] { drop_run(*opt); });

  auto* promote = app.add_subcommand(
      "promote_run",
      "Make run --to equal run --from, one month partition at a time: each month is built in a staging\n"
      "table and swapped in with REPLACE PARTITION, so readers see it wholly old or wholly new. Row\n"
      "counts are verified at the end. A rerun after a crash finishes an interrupted promote.");
  promote->add_option("--from", opt->from_run, "Source run (must exist)")->required();
  promote->add_option("--to", opt->to_run, "Target run, usually live")->required();
  promote->add_flag("--confirm", opt->confirm, "Really promote; without it, print the plan and exit 1");
  promote->add_flag("--keep-backup", opt->keep_backup,
                    "First copy the target to backup_YYYYMMDD (keeps the newest BACKUP_KEEP backups)");
  promote->add_flag("--drop-source", opt->drop_source, "Drop the source run after verification");
  promote->callback([opt] { promote_run(*opt); });

  auto* compare =
      app.add_subcommand("compare_runs", "Compare two runs key by key (exit 0 equal, 1 differ)");
  compare->add_option("--base", opt->base, "Base run, e.g. live")->required();
  compare->add_option("--target", opt->target, "Run compared with the base")->required();
  compare->add_option("--tolerance", opt->tolerance,
                      "Relative tolerance: |a-b| > tol * max(1,|a|) differs (default 1e-9)");
  compare->add_option("--from", opt->from, "First bucket to compare (YYYY-MM-DD or YYYY-MM-DDTHH:MM)")
      ->check(non_empty());
  compare->add_option("--to", opt->to, "Last bucket to compare, inclusive")->check(non_empty());
  compare->add_option("--scope", opt->scope, "Only these scopes, comma-separated (iphone:42,cohort:top3)")
      ->check(non_empty());
  compare->add_flag("--json", opt->json, "Print JSON instead of a table");
  compare->callback([opt] { compare_runs(*opt); });
}

}  // namespace ypa::cli
