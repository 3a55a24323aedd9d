// `ypa schedule`: the live loop that runs the incremental pipeline after each bucket closes (SPEC §9).
#include "cli/commands.hpp"

namespace ypa::cli {

void add_schedule_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("schedule", "Keep run 'live' current: an incremental run after each bucket");
  auto every = std::make_shared<std::string>("15m");
  auto delay = std::make_shared<std::string>("3m");
  cmd->add_option("--every", *every, "Cycle length (default 15m)");
  cmd->add_option("--delay", *delay, "Wait after a bucket closes before computing it (default 3m)");
  cmd->callback([] { not_implemented("schedule"); });
}

}  // namespace ypa::cli
