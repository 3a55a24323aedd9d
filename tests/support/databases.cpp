#include "support/databases.hpp"

#include <gtest/gtest.h>

#include "support/stack_env.hpp"

namespace ypa::testing {

CommandResult clickhouse_client(const std::string& query) {
  auto ch = clickhouse_settings();
  return run_command({"clickhouse-client", "--host", ch.host, "--port", std::to_string(ch.port), "--query", query});
}

Databases::Databases(const std::string& prefix) : name_(unique_name(prefix)) {
  EXPECT_EQ(run_command({"psql", "-XAtq", "-d", "postgres", "-c", "CREATE DATABASE " + name_}).exit_code, 0);
  EXPECT_EQ(ypa({"init", "--source-schema"}).exit_code, 0);
  EXPECT_EQ(ypa({"init"}).exit_code, 0);
}

Databases::~Databases() {
  run_command({"psql", "-XAtq", "-d", "postgres", "-c", "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"});
  clickhouse_client("DROP DATABASE IF EXISTS " + name_);
}

std::vector<std::string> Databases::env() const { return {"PGDATABASE=" + name_, "CLICKHOUSE_DB=" + name_}; }

CommandResult Databases::ypa(const std::vector<std::string>& args, std::vector<std::string> extra) const {
  auto e = env();
  e.insert(e.end(), extra.begin(), extra.end());
  return run_ypa(args, e);
}

CommandResult Databases::oracle(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"/usr/bin/python3", source_dir() + "/tests/oracle/pipeline_oracle.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, env());
}

std::string Databases::dump(const std::string& run, const std::string& table, const std::string& where) const {
  std::string columns = "iphone_id, shop_id, bucket, price_new, price_a, price_b, alignment_diff_sec, record_time";
  std::string order = "iphone_id, shop_id, bucket";
  if (table != "price_aligned") {
    // 18.16 has no SELECT * EXCEPT: list the columns.
    auto names = clickhouse_client("SELECT arrayStringConcat(groupArray(name), ', ') FROM system.columns WHERE "
                                   "database = '" + name_ + "' AND table = '" + table +
                                   "' AND name NOT IN ('run_id', 'inserted_at')");
    columns = names.out.substr(0, names.out.size() - 1);
    order = "scope, bucket";
  }
  auto r = clickhouse_client("SELECT " + columns + " FROM " + name_ + "." + table + " FINAL WHERE run_id = '" + run +
                             "'" + where + " ORDER BY " + order + " FORMAT TSV");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

std::int64_t Databases::rows(const std::string& table) const {
  return std::stoll(clickhouse_client("SELECT count() FROM " + name_ + "." + table).out);
}

CommandResult Databases::psql(const std::string& sql) const {
  return run_command({"psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", name_, "-c", sql});
}

}  // namespace ypa::testing
