// Starting and stopping server processes by pid, optionally as another (unprivileged) user: the stack
// runs its servers as a dedicated account when invoked as root, since PostgreSQL refuses root.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ypa::stack {

// The account servers run as: nullopt means "the current user".
struct RunAs {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

// The service account to use when running as root (YPA_STACK_USER, default "postgres"); nullopt when
// not root. Throws ypa::Error when root and the account does not exist.
std::optional<RunAs> service_account();

struct SpawnOptions {
  std::vector<std::string> argv;
  std::optional<RunAs> run_as;
  std::string log_file;      // stdout and stderr are appended here ("" = /dev/null)
  bool new_session = false;  // detach from our terminal and process group (for long-running servers)
};

// Starts a process and returns its pid without waiting.
pid_t spawn(const SpawnOptions& options);
// Runs a process to completion; throws ypa::Error with the tail of its log when it exits non-zero.
void run_to_completion(const SpawnOptions& options, const std::string& what);

// True while a process with this pid exists (and is not a zombie of ours).
bool is_alive(pid_t pid);
// The process's command line with NUL separators replaced by spaces; "" when gone.
std::string command_line(pid_t pid);
// Sends `signal`, then waits up to `grace` for the process to exit. Returns true if it exited.
bool terminate(pid_t pid, int signal, std::chrono::milliseconds grace);

// Last lines of a log file, for error messages.
std::string tail_of_file(const std::string& path, std::size_t max_lines);

// mkdir -p, then chown to the account when given.
void make_dirs(const std::string& path, const std::optional<RunAs>& owner);
void chown_tree(const std::string& path, const RunAs& owner);
// True if `account` can reach `path`: every existing directory above it is searchable.
bool reachable_by(const std::string& path, const RunAs& account);

}  // namespace ypa::stack
