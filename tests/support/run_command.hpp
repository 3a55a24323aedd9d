// Runs the built `ypa` binary (or any program) and captures its exit code, stdout and stderr.
#pragma once

#include <string>
#include <vector>

namespace ypa::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// argv[0] is looked up on PATH unless it contains a '/'. Extra environment entries are NAME=value;
// they replace inherited variables of the same name, and the last entry of a name wins.
CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});
// Runs build/ypa with the given arguments.
CommandResult run_ypa(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {});
std::string ypa_binary();

// The current environment with `extra_env` applied (same override rules as run_command).
std::vector<std::string> environment_with(const std::vector<std::string>& extra_env);
// Starts a program in the background with stderr appended to `log_path` and stdout discarded.
int spawn_background(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                     const std::string& log_path);
// Starts build/ypa in the background with its output discarded (for tests that kill it); returns its pid.
int spawn_ypa(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {});

}  // namespace ypa::testing
