// `ypa run_pipeline`: PostgreSQL -> align -> aggregate -> features -> cohorts -> ClickHouse (SPEC §9).
// Every flag is validated before a server is touched; the run ends with a per-step table on stdout.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <ctime>
#include <optional>

#include "cli/commands.hpp"
#include "compute/backend_factory.hpp"
#include "core/clock.hpp"
#include "core/env.hpp"
#include "core/errors.hpp"
#include "core/settings.hpp"
#include "pipeline/options.hpp"
#include "pipeline/run.hpp"
#include "store/run_id.hpp"

namespace ypa::cli {
namespace {

struct Flags {
  std::string run_id, from, to, device, steps, iphone_ids, shop_ids, align = "lookback", mode = "backfill",
                                                                     since = "2h", shard;
  std::optional<int> batch_days;  // unset: PIPELINE_BATCH_DAYS (0 is refused, not taken for unset)
  bool allow_live = false;
};

pipeline::RunOptions build_options(const Flags& f) {
  pipeline::RunOptions o;
  o.settings = PipelineSettings::from_env();
  store::validate_run_id(f.run_id, "--run-id");
  o.run_id = f.run_id;
  if (f.mode != "backfill" && f.mode != "incremental") {
    throw InputError(fmt::format("--mode '{}': expected backfill or incremental", f.mode));
  }
  o.incremental = f.mode == "incremental";
  if (f.run_id == "live" && !f.allow_live && !o.incremental) {
    throw InputError("--run-id live is production: write a run and promote_run it, or pass --allow-live");
  }
  BucketGrid grid(TimeZone(o.settings.time_zone), o.settings.interval_min);
  if (o.incremental) {
    if (!f.from.empty()) throw InputError("--from is not used with --mode incremental: --since sets the start");
    o.range = pipeline::incremental_range(f.to, f.since, grid, clock::now_seconds());
  } else {
    if (f.from.empty() || f.to.empty()) throw InputError("--from and --to are required for a backfill");
    o.range = parse_bucket_range(f.from, f.to, grid);
  }
  o.batch_days = f.batch_days ? static_cast<int>(env::parse_int(std::to_string(*f.batch_days), "--batch-days", 1, 3660))
                               : o.settings.batch_days;
  if (!f.steps.empty()) o.steps = pipeline::parse_steps(f.steps);
  if (!f.shard.empty()) {
    o.shard = pipeline::parse_shard(f.shard);
    // A cohort needs the aggregates of all its members, which other workers compute.
    if (!f.steps.empty() && o.steps.cohorts) {
      throw InputError(fmt::format("--shard {}: cohorts need every worker's aggregates; run --steps cohorts "
                                   "once after all workers have finished",
                                   f.shard));
    }
    o.steps.cohorts = false;
  }
  if (!f.iphone_ids.empty()) o.iphone_ids = env::parse_int_list(f.iphone_ids, "--iphone-ids", 1, UINT32_MAX);
  if (!f.shop_ids.empty()) o.shop_ids = env::parse_int_list(f.shop_ids, "--shop-ids", 1, UINT32_MAX);
  if (f.align == "lookback") {
    o.align.mode = domain::AlignMode::kLookback;
  } else if (f.align == "floor") {
    o.align.mode = domain::AlignMode::kFloor;
  } else {
    throw InputError(fmt::format("--align '{}': expected lookback or floor", f.align));
  }
  o.align.lookback_sec = EpochSeconds{o.settings.lookback_min} * 60;
  // The flag overrides PIPELINE_DEVICE; errors name whichever the user set.
  auto device = f.device.empty() ? compute::resolve_device(o.settings.device, "PIPELINE_DEVICE")
                                 : compute::resolve_device(f.device, "--device");
  o.device = device.device;
  o.device_note = device.note;
  o.warmup_buckets = pipeline::default_warmup_buckets(o.settings);
  return o;
}

void print_summary(const pipeline::RunSummary& s, const pipeline::RunOptions& o) {
  std::printf("run %s: %s in %.2f s, %lld rows written, device %s%s\n", o.run_id.c_str(),
              s.wrote ? "done" : "nothing to do", s.seconds, static_cast<long long>(s.rows_written), o.device.c_str(),
              o.device_note.empty() ? "" : (" (" + o.device_note + ")").c_str());
  if (!s.wrote) return;
  std::printf("%-10s %9s %12s %12s  %s\n", "step", "time (s)", "rows in", "rows out", "device");
  for (const auto& step : s.steps) {
    if (step.rows_in == 0 && step.rows_out == 0 && step.seconds == 0) continue;
    std::printf("%-10s %9.2f %12lld %12lld  %s\n", step.name.c_str(), step.seconds,
                static_cast<long long>(step.rows_in), static_cast<long long>(step.rows_out), step.device.c_str());
  }
  std::printf("skipped source records: %lld (price_new NULL %lld, <= 0 %lld); buckets below quorum %d: %lld\n",
              static_cast<long long>(s.skipped.total()), static_cast<long long>(s.skipped.null_price),
              static_cast<long long>(s.skipped.nonpositive_price), o.settings.min_quorum,
              static_cast<long long>(s.below_quorum));
}

}  // namespace

void add_run_pipeline_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "run_pipeline",
      "Compute a run from PostgreSQL into ClickHouse: align -> aggregate -> features -> cohorts.\n"
      "Example: ypa run_pipeline --run-id backfill_v3 --from 2025-01-01 --to 2025-12-31 --batch-days 30");
  auto f = std::make_shared<Flags>();
  cmd->add_option("--run-id", f->run_id, "Run to write, ^[A-Za-z0-9_]{1,64}$ (e.g. backfill_v3)")->required();
  cmd->add_option("--from", f->from, "First bucket: YYYY-MM-DD (whole day) or YYYY-MM-DDTHH:MM, zone PIPELINE_TZ");
  cmd->add_option("--to", f->to,
                  "Last bucket, inclusive, same forms as --from (incremental: default the latest closed bucket)");
  cmd->add_option("--device", f->device, "cpu, cuda:N or auto (env PIPELINE_DEVICE, default auto)")->check(non_empty());
  cmd->add_option("--batch-days", f->batch_days, "Days per PostgreSQL query (env PIPELINE_BATCH_DAYS, default 30)");
  cmd->add_option("--steps", f->steps,
                  "Subset of align,aggregate,features,cohorts (default: all); inputs not computed are read "
                  "from ClickHouse")
      ->check(non_empty());
  cmd->add_option("--iphone-ids", f->iphone_ids, "Only these iPhone ids, comma-separated")->check(non_empty());
  cmd->add_option("--shop-ids", f->shop_ids, "Only these shop ids, comma-separated")->check(non_empty());
  cmd->add_option("--shard", f->shard,
                  "i/n: one of n workers, computing the iPhones with id % n == i (no cohorts: run --steps "
                  "cohorts after all workers)")
      ->check(non_empty());
  cmd->add_option("--align", f->align, "Alignment mode: lookback (default) or floor")->check(non_empty());
  cmd->add_option("--mode", f->mode, "backfill (default) or incremental (recompute the last --since)")->check(non_empty());
  cmd->add_option("--since", f->since, "With --mode incremental: how far back to recompute (default 2h)")->check(non_empty());
  cmd->add_flag("--allow-live", f->allow_live, "Allow a backfill to write into run 'live'");
  cmd->callback([f] {
    auto options = build_options(*f);
    auto summary = pipeline::run_pipeline(options, ClickHouseSettings::from_env(), PostgresSettings::from_env(), true);
    print_summary(summary, options);
  });
}

}  // namespace ypa::cli
