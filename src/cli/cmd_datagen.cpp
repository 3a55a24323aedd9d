// `ypa datagen`: realistic synthetic source data (shops, iPhones, cohorts, scraped price records) written
// into the PostgreSQL source tables with COPY (see docs/datagen.md).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <utility>
#include <vector>

#include "cli/commands.hpp"
#include "core/env.hpp"
#include "core/settings.hpp"
#include "core/time.hpp"
#include "datagen/pg_loader.hpp"
#include "postgres/connection.hpp"

namespace ypa::cli {
namespace {

struct DatagenOptions {
  int shops = 24;
  int iphones = 160;
  std::string from, to;
  std::uint64_t seed = 1;
  bool replace = false;
  bool no_outages = false;
  std::vector<std::string> silent, x10, drop_half;
};

std::string format_date(const LocalDateTime& d) {
  return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day);
}

void print_summary(const datagen::LoadSummary& s) {
  const auto& g = s.stats;
  auto share = [&g](std::int64_t n) {
    return g.records > 0 ? 100.0 * static_cast<double>(n) / static_cast<double>(g.records) : 0.0;
  };
  const std::int64_t scheduled = g.scrapes + g.missed_scrapes;
  std::printf("datagen: %d days written\n", g.days);
  std::printf("  %-22s %12lld\n", "shops", static_cast<long long>(s.shops));
  std::printf("  %-22s %12lld\n", "iphones", static_cast<long long>(s.iphones));
  std::printf("  %-22s %12lld\n", "shop weight profiles", static_cast<long long>(s.profiles));
  std::printf("  %-22s %12lld\n", "shop weight items", static_cast<long long>(s.profile_items));
  std::printf("  %-22s %12lld\n", "cohorts", static_cast<long long>(s.cohorts));
  std::printf("  %-22s %12lld\n", "cohort members", static_cast<long long>(s.members));
  std::printf("  %-22s %12lld\n", "price records", static_cast<long long>(g.records));
  std::printf(
      "  %-22s %12lld  (%.2f%% of %lld scheduled)\n", "missed scrapes",
      static_cast<long long>(g.missed_scrapes),
      scheduled > 0 ? 100.0 * static_cast<double>(g.missed_scrapes) / static_cast<double>(scheduled) : 0.0,
      static_cast<long long>(scheduled));
  std::printf("  %-22s %12lld  (%.3f%%)\n", "outliers (x10, x0.1)", static_cast<long long>(g.outliers),
              share(g.outliers));
  std::printf("  %-22s %12lld  (%.3f%%; %lld zero, %lld NULL)\n", "invalid price_new",
              static_cast<long long>(g.invalid_zero + g.invalid_null), share(g.invalid_zero + g.invalid_null),
              static_cast<long long>(g.invalid_zero), static_cast<long long>(g.invalid_null));
  std::printf("  %-22s %12lld  (%.3f%%)\n", "duplicate rows", static_cast<long long>(g.duplicates),
              share(g.duplicates));
  std::printf("  %-22s %12lld  (%.1f%%)\n", "grade A NULL", static_cast<long long>(g.grade_a_null),
              share(g.grade_a_null));
  std::printf("  %-22s %12lld  (%.1f%%)\n", "grade B NULL", static_cast<long long>(g.grade_b_null),
              share(g.grade_b_null));
  if (g.injected_dropped + g.injected_x10 > 0) {
    std::printf("  %-22s %12lld  (silent shops and dropped iPhones)\n", "injected: rows removed",
                static_cast<long long>(g.injected_dropped));
    std::printf("  %-22s %12lld\n", "injected: prices x10", static_cast<long long>(g.injected_x10));
  }
  std::printf("  elapsed %.1f s (COPY %.1f s, indexes %.1f s), %.0f rows/s\n", s.total_seconds,
              s.copy_seconds, s.index_seconds,
              s.total_seconds > 0 ? static_cast<double>(g.records) / s.total_seconds : 0.0);
}

void run(const DatagenOptions& opt) {
  datagen::LoadOptions load;
  load.generator.shops = opt.shops;
  load.generator.iphones = opt.iphones;
  load.generator.seed = opt.seed;
  load.generator.outages = !opt.no_outages;
  load.generator.time_zone = PipelineSettings::from_env().time_zone;
  load.generator.first_day = parse_date(opt.from, "--from");
  load.generator.last_day = parse_date(opt.to, "--to");
  load.replace = opt.replace;
  TimeZone zone(load.generator.time_zone);
  for (const auto& [kind, values] : {std::pair{datagen::Injection::Kind::kSilent, &opt.silent},
                                     std::pair{datagen::Injection::Kind::kTimes10, &opt.x10},
                                     std::pair{datagen::Injection::Kind::kDropHalf, &opt.drop_half}}) {
    for (const auto& v : *values) load.generator.injections.push_back(datagen::parse_injection(kind, v, zone));
  }
  load.tables = postgres::SourceTables::from_env();
  // Every bad flag is reported before anything connects.
  datagen::validate(load.generator);

  postgres::Connection conn(PostgresSettings::from_env().conninfo);
  spdlog::info("datagen: {} shops x {} iPhones, {} to {} ({}), seed {}{} into {}", opt.shops, opt.iphones,
               opt.from, opt.to, load.generator.time_zone, opt.seed, opt.no_outages ? ", no outages" : "",
               conn.describe());
  auto on_day = [](const LocalDateTime& day, const datagen::GenerationStats& so_far) {
    spdlog::info("datagen: {} done, {} price records so far", format_date(day), so_far.records);
  };
  print_summary(datagen::load_demo_data(conn, load, on_day));
}

}  // namespace

void add_datagen_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "datagen",
      "Generate realistic source data (shops, iPhones, cohorts, scraped prices) into the PostgreSQL tables\n"
      "created by `ypa init --source-schema`. The same flags and seed always give the same rows.");
  auto opt = std::make_shared<DatagenOptions>();
  cmd->add_option("--shops", opt->shops, "Number of shops (default 24)");
  cmd->add_option("--iphones", opt->iphones, "Number of iPhone SKUs, newest models first (default 160)");
  cmd->add_option("--from", opt->from, "First day YYYY-MM-DD, zone PIPELINE_TZ")->required();
  cmd->add_option("--to", opt->to, "Last day YYYY-MM-DD, inclusive")->required();
  cmd->add_option("--seed", opt->seed, "Random seed (default 1)");
  cmd->add_option("--inject-silent", opt->silent,
                  "SHOP,YYYY-MM-DDTHH:MM,HOURS: the shop sends nothing for HOURS hours from then (repeatable)");
  cmd->add_option("--inject-x10", opt->x10,
                  "SHOP,YYYY-MM-DD: the shop reports every price ten times too high that day (repeatable)");
  cmd->add_option("--inject-drop-half", opt->drop_half,
                  "SHOP,YYYY-MM-DD[THH:MM]: from then on the shop drops the iPhones with an odd id (repeatable)");
  cmd->add_flag("--no-outages", opt->no_outages,
                "A clean set: no shop-day loses 1-4 hours of scrapes (5 % of them do by default); single missed "
                "scrapes (2.5 %) stay");
  cmd->add_flag(
      "--replace", opt->replace,
      "Empty the source tables first (in the same transaction); without it, tables that hold rows are "
      "refused");
  cmd->callback([opt] { run(*opt); });
}

}  // namespace ypa::cli
