// `ypa serve`: the REST API of SPEC §10.
#include "cli/commands.hpp"

namespace ypa::cli {

void add_serve_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Serve the REST API (Django REST Framework-compatible JSON)");
  auto listen = std::make_shared<std::string>();
  auto no_auth = std::make_shared<bool>(false);
  cmd->add_option("--listen", *listen, "Address to listen on, host:port (env API_LISTEN)");
  cmd->add_flag("--no-auth", *no_auth, "Switch JWT authentication off (only allowed on loopback)");
  cmd->callback([] { not_implemented("serve"); });
}

}  // namespace ypa::cli
