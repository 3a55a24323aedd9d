// `ypa stack up|down|status|env`: the embedded local PostgreSQL + ClickHouse (see docs/stack.md).
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "stack/cluster.hpp"
#include "stack/stack.hpp"

namespace ypa::cli {
namespace {

struct StackOptions {
  std::string dir;
  int pg_port = 0;
  int ch_port = 0;
  bool cluster = false;
  bool replicas = false;
};

std::string dir_of(const StackOptions& o) { return stack::resolve_dir(o.dir); }

void add_dir_option(CLI::App* cmd, StackOptions& o) {
  cmd->add_option("--dir", o.dir, "Stack folder (env YPA_STACK_DIR, default ./.ypa/stack)")
      ->check(non_empty());
}

}  // namespace

void add_stack_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "stack",
      "Embedded local PostgreSQL 15 + ClickHouse on loopback, for demos, development and tests.\n"
      "Example: ypa stack up && eval \"$(ypa stack env)\"");
  cmd->require_subcommand(1);
  auto opt = std::make_shared<StackOptions>();

  auto* up = cmd->add_subcommand("up", "Start both servers (idempotent); returns when both answer queries");
  add_dir_option(up, *opt);
  up->add_option("--pg-port", opt->pg_port, "PostgreSQL port on 127.0.0.1 (default 25432; fixed at first start)")
      ->check(CLI::Range(1, 65535));
  up->add_option("--ch-port", opt->ch_port, "ClickHouse native port on 127.0.0.1 (default 29000; HTTP = port - 877)")
      ->check(CLI::Range(1024, 65535));
  up->add_flag("--cluster", opt->cluster,
               "Also ZooKeeper and a second ClickHouse: cluster two_shards (docs/stack.md); fixed at first up");
  up->add_flag("--replicas", opt->replicas,
               "With --cluster: the two servers are replicas of one shard (cluster one_shard_two_replicas)");
  up->callback([opt] {
    stack::StackRequest request{dir_of(*opt), {}, {}, {}};
    if (opt->replicas && !opt->cluster) throw InputError("--replicas needs --cluster");
    if (opt->cluster) request.cluster = opt->replicas ? stack::kOneShardTwoReplicas : stack::kTwoShards;
    if (opt->pg_port != 0) request.pg_port = static_cast<std::uint16_t>(opt->pg_port);
    if (opt->ch_port != 0) request.ch_port = static_cast<std::uint16_t>(opt->ch_port);
    auto layout = stack::up(request);
    std::fprintf(stderr, "stack up in %s: PostgreSQL 127.0.0.1:%u, ClickHouse 127.0.0.1:%u\n", layout.dir.c_str(),
                 layout.pg_port, layout.ch_port);
    if (!layout.cluster.empty()) {
      std::fprintf(stderr, "cluster %s: ClickHouse 127.0.0.1:%u and 127.0.0.1:%u, ZooKeeper 127.0.0.1:%u\n",
                   layout.cluster.c_str(), layout.ch_port, layout.ch2_port, layout.zk_port);
    }
  });

  auto* down = cmd->add_subcommand("down", "Stop the servers this stack started (data is kept)");
  add_dir_option(down, *opt);
  down->callback([opt] { stack::down(dir_of(*opt)); });

  auto* status = cmd->add_subcommand("status", "Show whether both servers run (exit 0 if both answer, else 1)");
  add_dir_option(status, *opt);
  status->callback([opt] {
    auto s = stack::status(dir_of(*opt));
    if (!s) {
      std::printf("no stack in %s\n", dir_of(*opt).c_str());
      throw ExitWith{static_cast<int>(ExitCode::kNegative)};
    }
    auto line = [](const char* name, const stack::ServerStatus& st) {
      std::printf("%-10s 127.0.0.1:%-5u %s\n", name, st.port,
                  st.running ? fmt::format("running (pid {})", st.pid.value_or(0)).c_str()
                             : (st.pid ? "not answering" : "stopped"));
    };
    std::printf("stack      %s\n", s->layout.dir.c_str());
    line("postgres", s->postgres);
    line("clickhouse", s->clickhouse);
    if (!s->layout.cluster.empty()) {
      line("clickhouse2", s->clickhouse2);
      line("zookeeper", s->zookeeper);
      std::printf("cluster    %s\n", s->layout.cluster.c_str());
    }
    if (!s->all_running()) throw ExitWith{static_cast<int>(ExitCode::kNegative)};
  });

  auto* env = cmd->add_subcommand("env", "Print export lines for PG* and CLICKHOUSE_*: eval \"$(ypa stack env)\"");
  add_dir_option(env, *opt);
  env->callback([opt] {
    auto layout = stack::load_layout(dir_of(*opt));
    if (!layout) throw InputError(fmt::format("no stack in {}: run `ypa stack up` first", dir_of(*opt)));
    std::fputs(stack::env_script(*layout).c_str(), stdout);
  });
}

}  // namespace ypa::cli
