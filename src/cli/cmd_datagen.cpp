#include "cli/commands.hpp"
namespace ypa::cli {
void add_datagen_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("datagen", "Generate realistic source data");
  cmd->callback([] { not_implemented("datagen"); });
}
}  // namespace ypa::cli
