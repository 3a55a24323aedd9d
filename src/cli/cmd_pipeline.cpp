// `ypa run_pipeline`: PostgreSQL -> align -> aggregate -> features -> cohorts -> ClickHouse (SPEC §9).
#include "cli/commands.hpp"

namespace ypa::cli {

void add_run_pipeline_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("run_pipeline", "Compute a run from PostgreSQL into ClickHouse");
  struct Options {
    std::string run_id, from, to, device, steps, iphone_ids, shop_ids, align = "lookback", mode = "backfill",
                                                                       since = "2h";
    int batch_days = 0;
    bool allow_live = false;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("--run-id", opt->run_id, "Run to write, ^[A-Za-z0-9_]{1,64}$ (e.g. backfill_v3)")->required();
  cmd->add_option("--from", opt->from, "First bucket: YYYY-MM-DD (whole day) or YYYY-MM-DDTHH:MM, zone PIPELINE_TZ");
  cmd->add_option("--to", opt->to, "Last bucket, inclusive, same forms as --from");
  cmd->add_option("--device", opt->device, "cpu, cuda:N or auto (env PIPELINE_DEVICE, default auto)");
  cmd->add_option("--batch-days", opt->batch_days, "Days per batch (env PIPELINE_BATCH_DAYS, default 30)");
  cmd->add_option("--steps", opt->steps, "Subset of align,aggregate,features,cohorts (default: all)");
  cmd->add_option("--iphone-ids", opt->iphone_ids, "Only these iPhone ids, comma-separated");
  cmd->add_option("--shop-ids", opt->shop_ids, "Only these shop ids, comma-separated");
  cmd->add_option("--align", opt->align, "Alignment mode: lookback (default) or floor");
  cmd->add_option("--mode", opt->mode, "backfill (default) or incremental (recompute the last --since)");
  cmd->add_option("--since", opt->since, "With --mode incremental: how far back to recompute (default 2h)");
  cmd->add_flag("--allow-live", opt->allow_live, "Allow a backfill to write into run 'live'");
  cmd->callback([] { not_implemented("run_pipeline"); });
}

}  // namespace ypa::cli
