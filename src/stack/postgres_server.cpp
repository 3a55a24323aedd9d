#include "stack/postgres_server.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fmt/format.h>
#include <fstream>

#include "core/env.hpp"
#include "core/errors.hpp"
#include "postgres/connection.hpp"

namespace ypa::stack {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Debian installs the server binaries outside PATH; YPA_PG_BINDIR overrides the search.
std::string find_bin_dir() {
  if (auto dir = env::get("YPA_PG_BINDIR")) return *dir;
  for (const char* candidate : {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}) {
    if (fs::exists(fmt::format("{}/pg_ctl", candidate))) return candidate;
  }
  return "";  // rely on PATH
}

}  // namespace

PostgresServer::PostgresServer(Layout layout, std::optional<RunAs> run_as)
    : layout_(std::move(layout)), run_as_(std::move(run_as)), bin_dir_(find_bin_dir()) {}

std::string PostgresServer::bin(const char* program) const {
  return bin_dir_.empty() ? std::string(program) : bin_dir_ + "/" + program;
}

std::string PostgresServer::conninfo(const std::string& database) const {
  return fmt::format("host=127.0.0.1 port={} user={} dbname={} connect_timeout=3", layout_.pg_port, layout_.pg_user,
                     database);
}

std::optional<pid_t> PostgresServer::running_pid() const {
  std::ifstream in(layout_.pg_data() + "/postmaster.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  auto p = static_cast<pid_t>(pid);
  // A stale pid file may name a pid that now belongs to something else: check it is a postgres.
  if (!is_alive(p) || command_line(p).find("postgres") == std::string::npos) return std::nullopt;
  return p;
}

bool PostgresServer::accepts_queries() const {
  try {
    postgres::Connection conn(conninfo("postgres"));
    conn.exec("SELECT 1");
    return true;
  } catch (const Error&) {
    return false;
  }
}

void PostgresServer::start() {
  if (running_pid() && accepts_queries()) {
    spdlog::info("PostgreSQL already running on 127.0.0.1:{}", layout_.pg_port);
  } else {
    make_dirs(fs::path(layout_.pg_data()).parent_path().string(), run_as_);
    make_dirs(layout_.pg_socket_dir(), run_as_);
    if (!fs::exists(layout_.pg_data() + "/PG_VERSION")) {
      spdlog::info("initialising PostgreSQL in {}", layout_.pg_data());
      // Trust on a loopback-only, private server: the stack is for demos and tests, never production.
      run_to_completion({{bin("initdb"), "-D", layout_.pg_data(), "-U", layout_.pg_user, "-A", "trust", "-E", "UTF8",
                          "--locale=C"},
                         run_as_,
                         layout_.pg_log(),
                         false},
                        "initdb");
    }
    spdlog::info("starting PostgreSQL on 127.0.0.1:{}", layout_.pg_port);
    std::string server_options = fmt::format(
        "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c synchronous_commit=off "
        "-c max_wal_size=4GB -c shared_buffers=256MB",
        layout_.pg_port, layout_.pg_socket_dir());
    run_to_completion({{bin("pg_ctl"), "-D", layout_.pg_data(), "-l", layout_.pg_log(), "-w", "-t", "120", "-o",
                        server_options, "start"},
                       run_as_,
                       "",
                       true},
                      fmt::format("starting PostgreSQL (log: {})", layout_.pg_log()));
    if (!accepts_queries()) {
      throw UnavailableError(fmt::format("PostgreSQL started but does not answer on 127.0.0.1:{} (log: {}): {}",
                                         layout_.pg_port, layout_.pg_log(), tail_of_file(layout_.pg_log(), 3)));
    }
  }
  postgres::Connection conn(conninfo("postgres"));
  auto exists = conn.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", {layout_.pg_database});
  if (exists.rows() == 0) {
    conn.exec(fmt::format("CREATE DATABASE {}", postgres::quote_identifier(layout_.pg_database)));
  }
}

void PostgresServer::stop() {
  auto pid = running_pid();
  if (!pid) {
    spdlog::info("PostgreSQL is not running");
    return;
  }
  spdlog::info("stopping PostgreSQL (pid {})", *pid);
  // SIGINT is PostgreSQL's "fast" shutdown: disconnect clients, checkpoint, exit.
  if (!terminate(*pid, SIGINT, 60s) && !terminate(*pid, SIGQUIT, 10s)) {
    throw Error(fmt::format("PostgreSQL (pid {}) did not stop", *pid));
  }
}

}  // namespace ypa::stack
