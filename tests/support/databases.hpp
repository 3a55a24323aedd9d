// A PostgreSQL database and a ClickHouse database of one name for one test suite, with both schemas
// created by `ypa init`, and helpers to run ypa, the pandas oracle and clickhouse-client against them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/run_command.hpp"

namespace ypa::testing {

// clickhouse-client against the stack's server.
CommandResult clickhouse_client(const std::string& query);

class Databases {
 public:
  explicit Databases(const std::string& prefix);
  ~Databases();
  Databases(const Databases&) = delete;
  Databases& operator=(const Databases&) = delete;

  // PGDATABASE and CLICKHOUSE_DB for commands run against these databases.
  std::vector<std::string> env() const;
  CommandResult ypa(const std::vector<std::string>& args, std::vector<std::string> extra = {}) const;
  CommandResult oracle(const std::vector<std::string>& args) const;
  // A run's rows as text ordered by key, without run_id and inserted_at (deduplicated with FINAL).
  std::string dump(const std::string& run, const std::string& table, const std::string& where = "") const;
  std::int64_t rows(const std::string& table) const;
  // psql against the PostgreSQL database.
  CommandResult psql(const std::string& sql) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

}  // namespace ypa::testing
