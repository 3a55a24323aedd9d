#include "stack/layout.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/env.hpp"
#include "core/errors.hpp"

namespace ypa::stack {
namespace fs = std::filesystem;

std::string resolve_dir(const std::string& flag_value) {
  std::string dir = !flag_value.empty() ? flag_value : env::get_or("YPA_STACK_DIR", ".ypa/stack");
  return fs::absolute(dir).lexically_normal().string();
}

std::optional<Layout> load_layout(const std::string& dir) {
  Layout layout;
  layout.dir = dir;
  std::ifstream in(layout.state_file());
  if (!in) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(in);
    layout.pg_port = j.at("pg_port").get<std::uint16_t>();
    layout.ch_port = j.at("ch_port").get<std::uint16_t>();
    layout.ch_http_port = j.at("ch_http_port").get<std::uint16_t>();
    layout.pg_user = j.at("pg_user").get<std::string>();
    layout.pg_database = j.at("pg_database").get<std::string>();
    layout.ch_database = j.at("ch_database").get<std::string>();
    // Absent in the state of a single-server stack (and of stacks made before clusters existed).
    layout.cluster = j.value("cluster", std::string());
    layout.zk_port = j.value("zk_port", std::uint16_t{0});
    layout.ch2_port = j.value("ch2_port", std::uint16_t{0});
    layout.ch2_http_port = j.value("ch2_http_port", std::uint16_t{0});
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: unreadable stack state ({}); remove the folder to start afresh", layout.state_file(),
                            e.what()));
  }
  return layout;
}

void save_layout(const Layout& layout) {
  nlohmann::json j{{"pg_port", layout.pg_port},         {"ch_port", layout.ch_port},
                   {"ch_http_port", layout.ch_http_port}, {"pg_user", layout.pg_user},
                   {"pg_database", layout.pg_database},   {"ch_database", layout.ch_database}};
  if (!layout.cluster.empty()) {
    j["cluster"] = layout.cluster;
    j["zk_port"] = layout.zk_port;
    j["ch2_port"] = layout.ch2_port;
    j["ch2_http_port"] = layout.ch2_http_port;
  }
  std::string tmp = layout.state_file() + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(2) << '\n';
    if (!out) throw Error(fmt::format("cannot write {}", tmp));
  }
  fs::rename(tmp, layout.state_file());
}

}  // namespace ypa::stack
