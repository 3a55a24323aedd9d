#include "pipeline/schedule.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <thread>

#include "clickhouse/client.hpp"
#include "core/clock.hpp"
#include "core/env.hpp"
#include "core/errors.hpp"
#include "pipeline/run.hpp"
#include "store/health_findings.hpp"
#include "store/pipeline_queries.hpp"

namespace ypa::pipeline {
namespace {

using namespace std::chrono_literals;

EpochSeconds now_seconds() {
  return clock::now_seconds();  // YPA_SIM_CLOCK: the soak harness's compressed clock
}

// Sleeps until `deadline` (Unix seconds) or until asked to stop; true when it slept the whole way.
bool sleep_until(EpochSeconds deadline, const std::atomic<bool>& stop) {
  while (!stop.load()) {
    if (now_seconds() >= deadline) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

// The newest bucket the run already has, so a restarted schedule catches up from there.
std::optional<EpochSeconds> last_written_bucket(const ClickHouseSettings& settings,
                                                const std::string& run_id) {
  clickhouse::Client client(clickhouse::ClientOptions::from_settings(settings));
  auto value = client.select_value(store::select_last_bucket_sql(settings.database, run_id));
  if (!value || *value == "0") return std::nullopt;
  return static_cast<EpochSeconds>(std::stoll(*value));
}

}  // namespace

int run_schedule(const ScheduleOptions& options, const ClickHouseSettings& clickhouse,
                 const PostgresSettings& postgres, const std::atomic<bool>& stop) {
  BucketGrid grid(TimeZone(options.run.settings.time_zone), options.run.settings.interval_min);
  const EpochSeconds span = env::parse_duration(options.since, "--since");
  std::optional<EpochSeconds> done;  // last bucket written by this schedule or found in the run
  bool looked_up = false;
  EpochSeconds backoff = 5;
  int cycles = 0;
  const store::HealthThresholds limits = store::HealthThresholds::from_env();
  store::FindingTracker findings;
  spdlog::info("schedule: run {} on device {}{}, every {} s, {} s after each bucket, recomputing at least {}",
               options.run.run_id, options.run.device,
               options.run.device_note.empty() ? "" : " (" + options.run.device_note + ")", options.every,
               options.delay, options.since);

  while (!stop.load()) {
    auto started = std::chrono::steady_clock::now();
    const EpochSeconds last = grid.floor(now_seconds() - options.delay);
    try {
      if (!looked_up) {
        done = last_written_bucket(clickhouse, options.run.run_id);
        looked_up = true;
      }
      RunOptions run = options.run;
      run.incremental = true;
      // The last --since before `last`. After an outage (ClickHouse or PostgreSQL away, the schedule
      // stopped), also every bucket the missed cycles would have recomputed: from the start of the window
      // of the cycle after the newest bucket written. Rows that arrived late for those buckets while
      // nothing ran would otherwise never be computed (bench/soak.py found it). Without an outage, `done`
      // is the bucket before `last` and this is the same window.
      const EpochSeconds step = grid.interval_sec();
      EpochSeconds first = last - span + step;
      if (done) first = std::min(first, *done + step - span + step);
      run.range = {first, last};
      auto summary = run_pipeline(run, clickhouse, postgres, false);
      done = std::max(done.value_or(last), last);
      ++cycles;
      backoff = 5;
      spdlog::info("cycle: buckets {} .. {} ({}), {} rows written, {:.2f} s", format_iso(first, grid.zone()),
                   format_iso(last, grid.zone()), (last - first) / grid.interval_sec() + 1,
                   summary.rows_written,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      if (writes_shop_health(run) && summary.wrote) {
        try {
          clickhouse::Client client(clickhouse::ClientOptions::from_settings(clickhouse));
          auto change = findings.update(store::evaluate_findings(
              store::load_shop_states(client, clickhouse.database, run.run_id, last, grid), limits, last, grid));
          for (const auto& f : change.appeared) spdlog::warn("finding: {}", f.text);
          for (const auto& f : change.cleared) spdlog::warn("finding cleared: {}", f.text);
        } catch (const std::exception& e) {
          spdlog::warn("findings not checked this cycle: {}", e.what());
        }
      }
      if (options.max_cycles > 0 && cycles >= options.max_cycles) break;
    } catch (const InputError&) {
      throw;  // a configuration problem does not heal by waiting
    } catch (const std::exception& e) {
      spdlog::warn("cycle failed, retrying in {} s: {}", backoff, e.what());
      if (!sleep_until(now_seconds() + backoff, stop)) break;
      backoff = std::min(backoff * 2, std::max<EpochSeconds>(options.every, 5));
      continue;
    }
    // The next cycle: the next multiple of `every` on the bucket grid, plus the delay.
    EpochSeconds now = now_seconds();
    EpochSeconds next = grid.floor(now - options.delay);
    while (next + options.delay <= now) next += options.every;
    sleep_until(next + options.delay, stop);
  }
  spdlog::info("schedule: stopped after {} cycles", cycles);
  return cycles;
}

}  // namespace ypa::pipeline
