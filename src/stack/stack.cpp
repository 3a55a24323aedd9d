#include "stack/stack.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/errors.hpp"
#include "stack/clickhouse_server.hpp"
#include "stack/cluster.hpp"
#include "stack/postgres_server.hpp"
#include "stack/process.hpp"

namespace ypa::stack {

Layout up(const StackRequest& request) {
  auto run_as = service_account();
  Layout layout;
  if (auto existing = load_layout(request.dir)) {
    layout = *existing;
    if ((request.pg_port && *request.pg_port != layout.pg_port) ||
        (request.ch_port && *request.ch_port != layout.ch_port)) {
      throw InputError(fmt::format("the stack in {} uses ports {} (PostgreSQL) and {} (ClickHouse); "
                                   "run `ypa stack down` and remove the folder to change them",
                                   request.dir, layout.pg_port, layout.ch_port));
    }
    if (request.cluster.value_or("") != layout.cluster) {
      throw InputError(fmt::format("the stack in {} is {}; use another --dir for {}", request.dir,
                                   layout.cluster.empty() ? "one ClickHouse" : "cluster " + layout.cluster,
                                   request.cluster ? "cluster " + *request.cluster : "one ClickHouse"));
    }
  } else {
    layout.dir = request.dir;
    if (request.pg_port) layout.pg_port = *request.pg_port;
    if (request.ch_port) {
      layout.ch_port = *request.ch_port;
      layout.ch_http_port = static_cast<std::uint16_t>(*request.ch_port - 877);  // 29000 -> 28123
    }
    if (layout.pg_port == layout.ch_port || layout.ch_port == layout.ch_http_port) {
      throw InputError(fmt::format("--pg-port {} and --ch-port {} must differ", layout.pg_port, layout.ch_port));
    }
    if (request.cluster) assign_cluster_ports(layout, *request.cluster);
    make_dirs(layout.dir, std::nullopt);
    save_layout(layout);
  }
  if (run_as && !reachable_by(layout.dir, *run_as)) {
    throw Error(fmt::format("{}: the servers run as '{}' (PostgreSQL refuses root), who cannot reach this folder; "
                            "choose a folder they can reach with --dir or YPA_STACK_DIR",
                            layout.dir, run_as->name));
  }
  if (run_as) {
    // The servers own their own subfolders; stack.json stays with the invoking user.
    make_dirs(layout.dir + "/postgres", run_as);
    make_dirs(layout.ch_root(), run_as);
  }
  PostgresServer(layout, run_as).start();
  if (layout.cluster.empty()) {
    ClickHouseServer(layout, run_as).start();
  } else {
    start_cluster(layout, run_as);
  }
  return layout;
}

void down(const std::string& dir) {
  auto layout = load_layout(dir);
  if (!layout) {
    spdlog::info("no stack in {}: nothing to stop", dir);
    return;
  }
  auto run_as = service_account();
  // Stop both even if the first fails, then report.
  std::string failures;
  try {
    if (layout->cluster.empty()) {
      ClickHouseServer(*layout, run_as).stop();
    } else {
      stop_cluster(*layout, run_as);
    }
  } catch (const Error& e) {
    failures += e.what();
  }
  try {
    PostgresServer(*layout, run_as).stop();
  } catch (const Error& e) {
    failures += (failures.empty() ? "" : "; ") + std::string(e.what());
  }
  if (!failures.empty()) throw Error(failures);
}

std::optional<StackStatus> status(const std::string& dir) {
  auto layout = load_layout(dir);
  if (!layout) return std::nullopt;
  std::optional<RunAs> run_as;  // status only reads; no account needed
  PostgresServer pg(*layout, run_as);
  ClickHouseServer ch(*layout, run_as);
  StackStatus s{*layout, {}, {}, {}, {}};
  auto pg_pid = pg.running_pid();
  s.postgres = {pg_pid.has_value() && pg.accepts_queries(), pg_pid, layout->pg_port};
  auto ch_pid = ch.running_pid();
  s.clickhouse = {ch_pid.has_value() && ch.accepts_queries(), ch_pid, layout->ch_port};
  if (!layout->cluster.empty()) {
    ZooKeeperServer zk(*layout, run_as);
    auto zk_pid = zk.running_pid();
    s.zookeeper = {zk_pid.has_value() && zk.serves_requests(), zk_pid, layout->zk_port};
    ClickHouseServer ch2(node_layout(*layout, 2), run_as);
    auto ch2_pid = ch2.running_pid();
    s.clickhouse2 = {ch2_pid.has_value() && ch2.accepts_queries(), ch2_pid, layout->ch2_port};
  }
  return s;
}

std::string env_script(const Layout& layout) {
  return fmt::format(
      "unset DATABASE_URL\n"
      "export PGHOST=127.0.0.1\n"
      "export PGPORT={}\n"
      "export PGUSER={}\n"
      "export PGDATABASE={}\n"
      "export CLICKHOUSE_HOST=127.0.0.1\n"
      "export CLICKHOUSE_PORT={}\n"
      "export CLICKHOUSE_DB={}\n"
      "export CLICKHOUSE_USER=default\n"
      "export CLICKHOUSE_PASSWORD=\n"
      "{}\n",
      layout.pg_port, layout.pg_user, layout.pg_database, layout.ch_port, layout.ch_database,
      // The first server is the entry point; ypa reaches the shards through the cluster definition.
      layout.cluster.empty() ? "unset CLICKHOUSE_CLUSTER" : "export CLICKHOUSE_CLUSTER=" + layout.cluster);
}

}  // namespace ypa::stack
