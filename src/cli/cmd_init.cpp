// `ypa init`: create or upgrade the ClickHouse database and tables; `--source-schema` creates the demo
// PostgreSQL schema instead.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.hpp"
#include "clickhouse/client.hpp"
#include "core/errors.hpp"
#include "core/settings.hpp"
#include "http/auth/accounts.hpp"
#include "postgres/connection.hpp"
#include "postgres/source_schema.hpp"
#include "store/cluster.hpp"
#include "store/schema.hpp"

namespace ypa::cli {

void add_init_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "init",
      "Create the ClickHouse database CLICKHOUSE_DB and the tables price_aligned, features_wide and\n"
      "shop_health, or upgrade existing databases (adds n_models to the design document's features_wide,\n"
      "creates shop_health where it is missing). Idempotent.\n"
      "With --source-schema: create the demo PostgreSQL schema (the Django tables) instead.");
  auto source_schema = std::make_shared<bool>(false);
  cmd->add_flag("--source-schema", *source_schema, "Create the demo PostgreSQL source tables (PG*, DATABASE_URL)");
  auto demo_user = std::make_shared<std::string>();
  cmd->add_option("--demo-user", *demo_user,
                  "With --source-schema: an active Django account of this name in auth_user, its password\n"
                  "the first line of standard input (pbkdf2_sha256, as Django writes it); unchanged when that\n"
                  "password already checks")
      ->check(non_empty());
  cmd->callback([source_schema, demo_user] {
    if (!demo_user->empty() && !*source_schema) throw InputError("--demo-user: only with --source-schema");
    if (*source_schema) {
      std::string password;
      if (!demo_user->empty()) {
        // Read before connecting, so that a missing password changes nothing.
        std::getline(std::cin, password);
        if (!password.empty() && password.back() == '\r') password.pop_back();
        if (password.empty()) {
          throw InputError("--demo-user: no password on standard input (e.g. echo \"$PASSWORD\" | ypa init ...)");
        }
        if (demo_user->size() > 150) throw InputError("--demo-user: a Django user name has at most 150 characters");
      }
      postgres::Connection conn(PostgresSettings::from_env().conninfo);
      auto tables = postgres::SourceTables::from_env();
      postgres::create_source_schema(conn, tables);
      std::printf("PostgreSQL %s: source schema ready\n", conn.describe().c_str());
      if (!demo_user->empty()) {
        auto change = http::auth::ensure_account(conn, tables.auth_user, *demo_user, password);
        const char* what = change == http::auth::AccountChange::kCreated       ? "created"
                           : change == http::auth::AccountChange::kPasswordSet ? "password set"
                                                                               : "unchanged";
        std::printf("PostgreSQL %s: account %s in %s: %s\n", conn.describe().c_str(), demo_user->c_str(),
                    tables.auth_user.c_str(), what);
      }
      return;
    }
    auto settings = ClickHouseSettings::from_env();
    auto pipeline = PipelineSettings::from_env();
    auto options = clickhouse::ClientOptions::from_settings(settings);
    options.database = "default";  // the target database may not exist yet
    clickhouse::Client client(options);
    // With CLICKHOUSE_CLUSTER: replicated local and Distributed tables ON CLUSTER (docs/operations.md).
    auto reports = settings.cluster.empty()
                       ? store::init_clickhouse(client, settings.database, pipeline)
                       : store::init_clickhouse_cluster(client, settings.database, settings.cluster,
                                                        pipeline);
    for (const auto& report : reports) {
      std::string what = report.created                  ? "created"
                         : report.added_columns.empty() ? "up to date"
                                                         : fmt::format("added {}", fmt::join(report.added_columns, ", "));
      std::printf("ClickHouse %s:%u %s.%s: %s\n", settings.host.c_str(), settings.port, settings.database.c_str(),
                  report.table.c_str(), what.c_str());
    }
  });
}

}  // namespace ypa::cli
