#include "cli/commands.hpp"
namespace ypa::cli {
void add_stack_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("stack", "Embedded local PostgreSQL + ClickHouse");
  cmd->callback([] { not_implemented("stack"); });
}
}  // namespace ypa::cli
