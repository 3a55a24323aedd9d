#include "stack/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "core/env.hpp"
#include "core/errors.hpp"

namespace ypa::stack {
namespace fs = std::filesystem;

std::optional<RunAs> service_account() {
  if (::geteuid() != 0) return std::nullopt;
  std::string name = env::get_or("YPA_STACK_USER", "postgres");
  struct passwd* pw = ::getpwnam(name.c_str());
  if (pw == nullptr) {
    throw Error(fmt::format("running as root, the stack needs the unprivileged account '{}' (PostgreSQL refuses "
                            "root); create it or set YPA_STACK_USER",
                            name));
  }
  return RunAs{name, pw->pw_uid, pw->pw_gid, pw->pw_dir != nullptr ? pw->pw_dir : "/"};
}

pid_t spawn(const SpawnOptions& options) {
  if (options.argv.empty()) throw Error("spawn: empty command");
  std::vector<char*> args;
  for (const auto& a : options.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) throw Error(fmt::format("cannot fork for {}: {}", options.argv[0], std::strerror(errno)));
  if (pid > 0) return pid;

  // Child: only async-signal-safe calls until exec.
  if (options.new_session) ::setsid();
  // Drop privileges first, so the log file is created by (and writable for) the account.
  if (options.run_as) {
    if (::setgid(options.run_as->gid) != 0 || ::initgroups(options.run_as->name.c_str(), options.run_as->gid) != 0 ||
        ::setuid(options.run_as->uid) != 0) {
      ::_exit(126);
    }
    ::setenv("HOME", options.run_as->home.c_str(), 1);
    ::setenv("USER", options.run_as->name.c_str(), 1);
  }
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, 0);
  int out_fd = options.log_file.empty() ? ::open("/dev/null", O_WRONLY)
                                        : ::open(options.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
  if (out_fd >= 0) {
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
  }
  // Close everything else so a long-running server holds none of our pipes open.
  for (int fd = 3; fd < 1024; ++fd) ::close(fd);
  ::execvp(args[0], args.data());
  ::_exit(127);
}

void run_to_completion(const SpawnOptions& options, const std::string& what) {
  pid_t pid = spawn(options);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::string detail = options.log_file.empty() ? "" : tail_of_file(options.log_file, 3);
    throw Error(fmt::format("{} failed (exit {}){}{}", what, code, detail.empty() ? "" : ": ", detail));
  }
}

bool is_alive(pid_t pid) {
  if (pid <= 0) return false;
  int status = 0;
  // Reap our own child if it has exited, so it does not linger as a zombie that kill() still sees.
  if (::waitpid(pid, &status, WNOHANG) == pid) return false;
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (std::getline(stat, line)) {
    auto close_paren = line.rfind(')');
    if (close_paren != std::string::npos && close_paren + 2 < line.size() && line[close_paren + 2] == 'Z') return false;
  }
  return true;
}

std::string command_line(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

bool terminate(pid_t pid, int signal, std::chrono::milliseconds grace) {
  if (!is_alive(pid)) return true;
  ::kill(pid, signal);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!is_alive(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !is_alive(pid);
}

std::string tail_of_file(const std::string& path, std::size_t max_lines) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    lines.push_back(line);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : " | ") + l;
  return out;
}

void make_dirs(const std::string& path, const std::optional<RunAs>& owner) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw Error(fmt::format("cannot create {}: {}", path, ec.message()));
  if (owner) chown_tree(path, *owner);
}

void chown_tree(const std::string& path, const RunAs& owner) {
  if (::lchown(path.c_str(), owner.uid, owner.gid) != 0) {
    throw Error(fmt::format("cannot give {} to {}: {}", path, owner.name, std::strerror(errno)));
  }
  if (!fs::is_directory(path)) return;
  for (const auto& entry : fs::recursive_directory_iterator(path)) {
    ::lchown(entry.path().c_str(), owner.uid, owner.gid);
  }
}

bool reachable_by(const std::string& path, const RunAs& account) {
  fs::path p = fs::absolute(path);
  for (fs::path cur = p.parent_path(); !cur.empty(); cur = cur.parent_path()) {
    struct stat st {};
    if (::stat(cur.c_str(), &st) == 0) {
      mode_t bit = st.st_uid == account.uid ? S_IXUSR : st.st_gid == account.gid ? S_IXGRP : S_IXOTH;
      if ((st.st_mode & bit) == 0) return false;
    }
    if (cur == cur.root_path()) break;
  }
  return true;
}

}  // namespace ypa::stack
