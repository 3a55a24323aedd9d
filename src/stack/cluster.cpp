// The cluster variant of the stack: ZooKeeper + two ClickHouse servers on loopback (see cluster.hpp).
#include "stack/cluster.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "clickhouse/client.hpp"
#include "core/env.hpp"
#include "core/errors.hpp"
#include "stack/clickhouse_server.hpp"

namespace ypa::stack {
using namespace std::chrono_literals;

namespace {

constexpr auto kStartTimeout = 60s;

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw Error(fmt::format("cannot write {}", path));
}

std::uint16_t interserver_port(std::uint16_t native_port) {
  return static_cast<std::uint16_t>(native_port + 9);
}

// Whether the first server sees ZooKeeper: ON CLUSTER DDL and replicated tables need it.
bool reaches_zookeeper(const Layout& layout) {
  try {
    clickhouse::ClientOptions options;
    options.host = "127.0.0.1";
    options.port = layout.ch_port;
    options.connect_timeout = 2s;
    options.io_timeout = 10s;
    clickhouse::Client client(options);
    client.select_rows("SELECT name FROM system.zookeeper WHERE path = '/'");
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

void assign_cluster_ports(Layout& layout, const std::string& cluster) {
  if (cluster != kTwoShards && cluster != kOneShardTwoReplicas) {
    throw InputError(
        fmt::format("cluster '{}': expected {} or {}", cluster, kTwoShards, kOneShardTwoReplicas));
  }
  layout.cluster = cluster;
  layout.zk_port = static_cast<std::uint16_t>(layout.ch_port + 181);
  layout.ch2_port = static_cast<std::uint16_t>(layout.ch_port + 10);
  layout.ch2_http_port = static_cast<std::uint16_t>(layout.ch_http_port + 10);
}

Layout node_layout(const Layout& layout, int node) {
  if (node == 1) return layout;
  Layout second = layout;
  second.dir = layout.dir + "/ch2";  // ch_root() = <dir>/ch2/clickhouse
  second.ch_port = layout.ch2_port;
  second.ch_http_port = layout.ch2_http_port;
  return second;
}

std::string cluster_config(const Layout& layout, int node) {
  auto replica = [](std::uint16_t port) {
    return fmt::format("<replica><host>127.0.0.1</host><port>{}</port></replica>", port);
  };
  // internal_replication: the Distributed tables write one replica per shard and the replicated tables
  // copy to the others; 18.16 refuses ALTER ... ON CLUSTER on replicated tables without it.
  std::string shard1 = node == 1 ? "01" : (layout.cluster == kTwoShards ? "02" : "01");
  return fmt::format(R"xml(  <interserver_http_host>127.0.0.1</interserver_http_host>
  <interserver_http_port>{isp}</interserver_http_port>
  <remote_servers>
    <{two}>
      <shard><internal_replication>true</internal_replication>{r1}</shard>
      <shard><internal_replication>true</internal_replication>{r2}</shard>
    </{two}>
    <{one}>
      <shard><internal_replication>true</internal_replication>{r1}{r2}</shard>
    </{one}>
  </remote_servers>
  <zookeeper>
    <node><host>127.0.0.1</host><port>{zk}</port></node>
    <session_timeout_ms>30000</session_timeout_ms>
  </zookeeper>
  <macros><shard>{shard}</shard><replica>node{node}</replica></macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
)xml",
                     fmt::arg("isp", interserver_port(node_layout(layout, node).ch_port)),
                     fmt::arg("two", kTwoShards), fmt::arg("one", kOneShardTwoReplicas),
                     fmt::arg("r1", replica(layout.ch_port)), fmt::arg("r2", replica(layout.ch2_port)),
                     fmt::arg("zk", layout.zk_port), fmt::arg("shard", shard1), fmt::arg("node", node));
}

ZooKeeperServer::ZooKeeperServer(Layout layout, std::optional<RunAs> run_as)
    : layout_(std::move(layout)), run_as_(std::move(run_as)) {}

std::optional<pid_t> ZooKeeperServer::running_pid() const {
  std::ifstream in(pid_file());
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  auto p = static_cast<pid_t>(pid);
  // Only a java reading our zoo.cfg counts; a recycled pid is somebody else's process.
  if (!is_alive(p) || command_line(p).find(config_file()) == std::string::npos) return std::nullopt;
  return p;
}

bool ZooKeeperServer::serves_requests() const {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(layout_.zk_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 && ::send(fd, "srvr", 4, 0) == 4) {
    char buffer[512];
    ssize_t n = 0;
    while (reply.size() < 8192 && (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) reply.append(buffer, n);
  }
  ::close(fd);
  // "Mode: standalone" once serving; "This ZooKeeper instance is not currently serving requests" before.
  return reply.find("Mode: ") != std::string::npos;
}

void ZooKeeperServer::start() {
  if (running_pid() && serves_requests()) {
    spdlog::info("ZooKeeper already running on 127.0.0.1:{}", layout_.zk_port);
    return;
  }
  if (auto stale = running_pid()) terminate(*stale, SIGTERM, 10s);
  make_dirs(layout_.zk_root() + "/data", run_as_);
  // Loopback only; no admin HTTP server (it would take port 8080).
  write_file(config_file(),
             fmt::format("# Generated by `ypa stack up --cluster`; rewritten on each start.\n"
                         "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir={}/data\n"
                         "clientPort={}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
                         "maxClientCnxns=0\n4lw.commands.whitelist=srvr\n",
                         layout_.zk_root(), layout_.zk_port));
  if (run_as_) chown_tree(layout_.zk_root(), *run_as_);
  std::string classpath = env::get_or("YPA_ZOOKEEPER_CLASSPATH", "/usr/share/java/*");
  spdlog::info("starting ZooKeeper on 127.0.0.1:{}", layout_.zk_port);
  pid_t pid = spawn({{"java", "-Xmx256m", "-cp", classpath, "org.apache.zookeeper.server.ZooKeeperServerMain",
                      config_file()},
                     run_as_,
                     log_file(),
                     true});
  write_file(pid_file(), fmt::format("{}\n", pid));
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!serves_requests()) {
    if (!is_alive(pid)) {
      throw UnavailableError(
          fmt::format("ZooKeeper exited while starting on 127.0.0.1:{} (is the zookeeper "
                      "package installed?): {}",
                      layout_.zk_port, tail_of_file(log_file(), 2)));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      terminate(pid, SIGTERM, 10s);
      throw UnavailableError(fmt::format("ZooKeeper did not serve requests on 127.0.0.1:{} within {}s (log: {})",
                                         layout_.zk_port, kStartTimeout.count(), log_file()));
    }
    std::this_thread::sleep_for(200ms);
  }
}

void ZooKeeperServer::stop() {
  auto pid = running_pid();
  if (!pid) {
    spdlog::info("ZooKeeper is not running");
    return;
  }
  spdlog::info("stopping ZooKeeper (pid {})", *pid);
  if (!terminate(*pid, SIGTERM, 30s) && !terminate(*pid, SIGKILL, 10s)) {
    throw Error(fmt::format("ZooKeeper (pid {}) did not stop", *pid));
  }
  std::remove(pid_file().c_str());
}

void start_cluster(const Layout& layout, const std::optional<RunAs>& run_as) {
  make_dirs(layout.zk_root(), run_as);
  make_dirs(node_layout(layout, 2).ch_root(), run_as);
  ZooKeeperServer(layout, run_as).start();
  for (int node : {1, 2})
    ClickHouseServer(node_layout(layout, node), run_as, cluster_config(layout, node)).start();
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!reaches_zookeeper(layout)) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw UnavailableError(
          fmt::format("ClickHouse on 127.0.0.1:{} does not reach ZooKeeper on 127.0.0.1:{}", layout.ch_port,
                      layout.zk_port));
    }
    std::this_thread::sleep_for(200ms);
  }
}

void stop_cluster(const Layout& layout, const std::optional<RunAs>& run_as) {
  std::string failures;
  auto attempt = [&](const auto& stop) {
    try {
      stop();
    } catch (const Error& e) {
      failures += (failures.empty() ? "" : "; ") + std::string(e.what());
    }
  };
  for (int node : {2, 1}) attempt([&] { ClickHouseServer(node_layout(layout, node), run_as).stop(); });
  attempt([&] { ZooKeeperServer(layout, run_as).stop(); });
  if (!failures.empty()) throw Error(failures);
}

}  // namespace ypa::stack
