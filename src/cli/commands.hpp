// Each subcommand registers its flags and action on the root app; one file per subcommand.
#pragma once

#include <CLI/CLI.hpp>

namespace ypa::cli {

void add_stack_command(CLI::App& app);
void add_init_command(CLI::App& app);
void add_datagen_command(CLI::App& app);
void add_run_pipeline_command(CLI::App& app);
void add_run_commands(CLI::App& app);  // list_runs, drop_run, promote_run, compare_runs
void add_serve_command(CLI::App& app);
void add_schedule_command(CLI::App& app);

// Thrown by a command that has finished and wants a specific exit code (e.g. 1 for "runs differ");
// main() turns it into the process's exit status after destructors have run.
struct ExitWith {
  int code;
};

// For options whose empty value would otherwise read as "use the default" (--steps '', --every ''):
// an empty value is a mistake and is refused with "<option>: it is empty".
const CLI::Validator& non_empty();

// For subcommands whose behaviour a later part of the project fills in: flags are parsed and
// validated as documented, then the command says so and exits 2.
[[noreturn]] void not_implemented(const char* command);

}  // namespace ypa::cli
