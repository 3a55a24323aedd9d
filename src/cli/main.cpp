// Entry point of `ypa`: parses the command line, runs one subcommand, and maps the project's error
// types to exit codes (0 ok, 1 negative answer, 2 error) with a one-line message on stderr.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string_view>

#include "core/clock.hpp"
#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "core/log.hpp"

namespace ypa::cli {

const CLI::Validator& non_empty() {
  static const CLI::Validator validator(
      [](std::string& value) { return value.empty() ? std::string("it is empty") : std::string(); }, "", "non-empty");
  return validator;
}

[[noreturn]] void not_implemented(const char* command) {
  throw Error(fmt::format("{}: not implemented yet in this version of ypa", command));
}

}  // namespace ypa::cli

int main(int argc, char** argv) {
  CLI::App app{
      "ypa-engine: turns scraped iPhone buy-back prices (PostgreSQL) into aligned, aggregated and\n"
      "feature-rich time series in ClickHouse, with versioned runs and a REST API.\n\n"
      "Quick start:\n"
      "  eval \"$(ypa stack up && ypa stack env)\"   # local PostgreSQL + ClickHouse\n"
      "  ypa init --source-schema && ypa init\n"
      "  ypa datagen --from 2025-01-01 --to 2025-01-07\n"
      "Configuration comes from the environment (CLICKHOUSE_*, PG*/DATABASE_URL, PIPELINE_*, see README);\n"
      "flags override it.",
      "ypa"};
  app.set_version_flag("--version", "ypa " YPA_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log debug detail");
  app.failure_message([](const CLI::App*, const CLI::Error& e) { return fmt::format("ypa: error: {}\n", e.what()); });
  // Logging must be ready before subcommand callbacks run inside parse(), so look for -v up front.
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-v" || arg == "--verbose") verbose = true;
  }
  ypa::log::init(verbose);

  ypa::cli::add_stack_command(app);
  ypa::cli::add_init_command(app);
  ypa::cli::add_datagen_command(app);
  ypa::cli::add_run_pipeline_command(app);
  ypa::cli::add_run_commands(app);
  ypa::cli::add_serve_command(app);
  ypa::cli::add_schedule_command(app);

  try {
    ypa::clock::check_environment();
    app.parse(argc, argv);
    return static_cast<int>(ypa::ExitCode::kOk);
  } catch (const ypa::cli::ExitWith& e) {
    return e.code;
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ypa::ExitCode::kError);
  } catch (const ypa::Error& e) {
    std::fprintf(stderr, "ypa: error: %s\n", e.what());
    return static_cast<int>(ypa::ExitCode::kError);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ypa: internal error: %s\n", e.what());
    return static_cast<int>(ypa::ExitCode::kError);
  }
}
