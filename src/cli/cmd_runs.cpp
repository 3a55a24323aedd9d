// Run management subcommands (SPEC §8): list_runs, drop_run, promote_run, compare_runs.
#include "cli/commands.hpp"

namespace ypa::cli {
namespace {

struct RunOptions {
  std::string run_id, from_run, to_run, base, target, tables, from, to, scope;
  double tolerance = 1e-9;
  bool confirm = false, force_live = false, keep_backup = false, drop_source = false, json = false;
};

}  // namespace

void add_run_commands(CLI::App& app) {
  auto opt = std::make_shared<RunOptions>();

  auto* list = app.add_subcommand("list_runs", "List runs: rows per table, months, first/last bucket, size");
  list->add_flag("--json", opt->json, "Print JSON instead of a table");
  list->callback([] { not_implemented("list_runs"); });

  auto* drop = app.add_subcommand("drop_run", "Drop every partition of one run (dry run without --confirm)");
  drop->add_option("--run-id", opt->run_id, "Run to drop")->required();
  drop->add_flag("--confirm", opt->confirm, "Really drop; without it, print what would be dropped and exit 1");
  drop->add_flag("--force-live", opt->force_live, "Required to drop the run 'live'");
  drop->add_option("--tables", opt->tables, "price_aligned,features_wide (default: both)");
  drop->callback([] { not_implemented("drop_run"); });

  auto* promote = app.add_subcommand("promote_run", "Make run --to equal run --from, one month partition at a time");
  promote->add_option("--from", opt->from_run, "Source run (must exist)")->required();
  promote->add_option("--to", opt->to_run, "Target run, usually live")->required();
  promote->add_flag("--confirm", opt->confirm, "Really promote; without it, print the plan and exit 1");
  promote->add_flag("--keep-backup", opt->keep_backup, "First copy the target to backup_YYYYMMDD (keeps BACKUP_KEEP)");
  promote->add_flag("--drop-source", opt->drop_source, "Drop the source run after verification");
  promote->callback([] { not_implemented("promote_run"); });

  auto* compare = app.add_subcommand("compare_runs", "Compare two runs inside ClickHouse (exit 0 equal, 1 differ)");
  compare->add_option("--base", opt->base, "Base run, e.g. live")->required();
  compare->add_option("--target", opt->target, "Run compared with the base")->required();
  compare->add_option("--tolerance", opt->tolerance, "Relative tolerance: |a-b| > tol * max(1,|a|) differs");
  compare->add_option("--from", opt->from, "First bucket to compare (YYYY-MM-DD or YYYY-MM-DDTHH:MM)");
  compare->add_option("--to", opt->to, "Last bucket to compare, inclusive");
  compare->add_option("--scope", opt->scope, "Only these scopes, comma-separated (iphone:42,cohort:top3)");
  compare->add_flag("--json", opt->json, "Print JSON instead of a table");
  compare->callback([] { not_implemented("compare_runs"); });
}

}  // namespace ypa::cli
