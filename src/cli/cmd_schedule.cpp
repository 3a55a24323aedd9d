// `ypa schedule`: the live loop that runs the incremental pipeline a little after each bucket closes
// (SPEC §9). SIGTERM or SIGINT stops it cleanly between steps.
#include <fmt/format.h>

#include <atomic>
#include <csignal>

#include "cli/commands.hpp"
#include "compute/backend_factory.hpp"
#include "core/env.hpp"
#include "core/errors.hpp"
#include "core/settings.hpp"
#include "pipeline/schedule.hpp"
#include "store/run_id.hpp"

namespace ypa::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void request_stop(int) {
  g_stop.store(true);
}

struct Flags {
  std::string run_id = "live";
  std::string every;
  std::string delay = "3m";
  std::string since = "2h";
  std::string device;
  int max_cycles = 0;
};

}  // namespace

void add_schedule_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "schedule",
      "Keep a run (default 'live') current: an incremental run a little after each bucket closes.\n"
      "Retries with backoff while PostgreSQL or ClickHouse is down and then catches up every missed bucket.\n"
      "Runs on --device (PIPELINE_DEVICE, default auto: the GPU when present, else the CPU).\n"
      "Example: ypa schedule --every 15m --delay 3m --device cuda:0");
  auto f = std::make_shared<Flags>();
  cmd->add_option("--run-id", f->run_id, "Run kept current (default live)");
  cmd->add_option("--every", f->every, "Cycle length (default: the bucket interval, 15m)")
      ->check(non_empty());
  cmd->add_option("--delay", f->delay, "Wait after a bucket closes before computing it (default 3m)");
  cmd->add_option("--since", f->since, "Buckets each cycle recomputes, at least (default 2h)")
      ->check(non_empty());
  cmd->add_option("--device", f->device, "cpu, cuda:N or auto (env PIPELINE_DEVICE, default auto)")
      ->check(non_empty());
  cmd->add_option("--max-cycles", f->max_cycles,
                  "Stop after this many successful cycles (default: run until stopped)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([f] {
    pipeline::ScheduleOptions o;
    o.run.settings = PipelineSettings::from_env();
    store::validate_run_id(f->run_id, "--run-id");
    o.run.run_id = f->run_id;
    o.run.batch_days = o.run.settings.batch_days;
    o.run.align.lookback_sec = EpochSeconds{o.run.settings.lookback_min} * 60;
    o.run.warmup_buckets = pipeline::default_warmup_buckets(o.run.settings);
    o.every = f->every.empty() ? EpochSeconds{o.run.settings.interval_min} * 60
                               : env::parse_duration(f->every, "--every");
    if (o.every <= 0) throw InputError("--every 0: the cycle must last at least a second");
    o.delay = env::parse_duration(f->delay, "--delay");
    if (env::parse_duration(f->since, "--since") <= 0) throw InputError("--since 0: nothing to recompute");
    o.since = f->since;
    o.max_cycles = f->max_cycles;
    // Resolved once, before the loop: a GPU this machine lacks is a configuration error (exit 2), not an
    // outage to retry. The flag overrides PIPELINE_DEVICE; errors name whichever the user set.
    auto device = f->device.empty() ? compute::resolve_device(o.run.settings.device, "PIPELINE_DEVICE")
                                    : compute::resolve_device(f->device, "--device");
    o.run.device = device.device;
    o.run.device_note = device.note;
    std::signal(SIGTERM, request_stop);
    std::signal(SIGINT, request_stop);
    pipeline::run_schedule(o, ClickHouseSettings::from_env(), PostgresSettings::from_env(), g_stop);
  });
}

}  // namespace ypa::cli
