#include "cli/commands.hpp"
namespace ypa::cli {
void add_init_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("init", "Create or upgrade the ClickHouse tables");
  cmd->callback([] { not_implemented("init"); });
}
}  // namespace ypa::cli
