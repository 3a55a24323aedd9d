// Hostile values through store/'s SQL builders on the real ClickHouse server of the stack: string
// literals and quoted names reach the server as exactly the bytes given; run tables with columns named
// by hostile strings (names store/ reads back from system.columns) are promoted and compared; API
// queries with hostile scopes and feature names are answered or refused by the server as an unknown
// column, never misparsed; malformed database names are refused before any statement.
#include <fmt/format.h>

#include "clickhouse/client.hpp"
#include "core/errors.hpp"
#include "runs_test_fixture.hpp"
#include "store/api_queries.hpp"
#include "store/runs.hpp"
#include "store/schema.hpp"
#include "store/sql_text.hpp"

namespace ypa::testing {
namespace {

std::string hex(const std::string& bytes) {
  std::string out;
  for (char c : bytes) out += fmt::format("{:02X}", static_cast<unsigned char>(c));
  return out;
}

const std::vector<std::string>& hostile_values() {
  static const std::vector<std::string> values{"x'y",
                                               "x') OR 1=1 --",
                                               "\\",
                                               "a\\'b",
                                               "'",
                                               "``",
                                               "x`y",
                                               "a`.`b",
                                               "x\"y",
                                               std::string("a\0b", 3),
                                               "a\nb",
                                               "a\r\n-- c",
                                               "/* c */",
                                               "a; DROP TABLE t",
                                               "a\\x27b",
                                               "{shard}/../x",
                                               "%s",
                                               "\x01\x1f\x7f",
                                               "\xe3\x83\xa9\xe3\x82\xa4\xe3\x83\x96",
                                               "\xff\xfe",
                                               " ",
                                               "",
                                               std::string(100'000, 'x'),
                                               std::string(5'000, '\''),
                                               std::string(5'000, '\\')};
  return values;
}

// Column names: non-empty and short (a column's data files are named after it).
std::vector<std::string> hostile_names() {
  std::vector<std::string> out;
  for (const auto& v : hostile_values()) {
    if (!v.empty() && v.size() <= 64) out.push_back(v);
  }
  return out;
}

class SqlSafetyTest : public RunsTest {
 protected:
  clickhouse::Client connect() {
    auto options = clickhouse::ClientOptions::from_settings(clickhouse_settings());
    options.database = db_;
    return clickhouse::Client(options);
  }
};

TEST_F(SqlSafetyTest, LiteralsAndQuotedNamesReachTheServerAsTheExactBytes) {
  auto client = connect();
  for (const auto& v : hostile_values()) {
    SCOPED_TRACE(v.substr(0, 40));
    EXPECT_EQ(client.select_value("SELECT hex(" + store::string_literal(v) + ")"), hex(v));
  }
  store::TableSpec table{"hostile_names", {{"k", "UInt8", ""}}, "ENGINE = MergeTree ORDER BY k"};
  for (const auto& name : hostile_names()) table.columns.push_back({name, "UInt32", "7"});
  client.execute(store::create_table_sql(db_, table));
  auto rows = client.select_rows("SELECT hex(name) FROM system.columns WHERE database = " +
                                 store::string_literal(db_) + " AND table = 'hostile_names'");
  ASSERT_EQ(rows.size(), table.columns.size());
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].at(0), hex(table.columns[i].name));
}

// Column names come back from system.columns into the copy of promote_run and the statements of
// compare_runs; a table with hostile column names is promoted and compared like any other.
TEST_F(SqlSafetyTest, RunTablesWithHostileColumnNamesArePromotedAndCompared) {
  fill("bf", "2025-01-30 00:00:00", 8 * 96, 2, 2, 2000);  // January and February
  auto client = connect();
  auto names = hostile_names();
  for (const auto& table : store::run_tables()) {
    for (const auto& name : names) {
      client.execute(store::add_column_sql(db_, table, {name, "UInt32", "7"}, ""));
    }
  }
  auto promote = ypa({"promote_run", "--from", "bf", "--to", "live", "--confirm"});
  ASSERT_EQ(promote.exit_code, 0) << promote.out << promote.err;
  EXPECT_EQ(fingerprint("live"), fingerprint("bf"));
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    EXPECT_EQ(client.select_value(fmt::format("SELECT sum({}) = 7 * count() FROM {} WHERE run_id = 'live'",
                                              store::identifier(name),
                                              store::qualified_table(db_, "price_aligned"))),
              "1");
  }
  auto compare = ypa({"compare_runs", "--base", "bf", "--target", "live"});
  EXPECT_EQ(compare.exit_code, 0) << compare.out << compare.err;
  auto drop = ypa({"drop_run", "--run-id", "bf", "--confirm"});
  EXPECT_EQ(drop.exit_code, 0) << drop.err;
  EXPECT_EQ(partitions_of("bf"), "");
}

TEST_F(SqlSafetyTest, ApiQueriesWithHostileScopesAndNamesAreAnsweredOrRefusedAsUnknownColumns) {
  fill("live", "2025-01-30 00:00:00", 8, 2, 2, 2000);
  auto client = connect();
  store::BarQuery q;
  q.scope_in = {{"iphone:1"}};
  EXPECT_EQ(store::count_bars(client, db_, q), 8u);
  for (const auto& v : hostile_values()) {
    SCOPED_TRACE(v.substr(0, 40));
    q.scope_in = {{v, "iphone:1"}};
    EXPECT_EQ(store::count_bars(client, db_, q), 8u);
    q.scope_in = {{v}};
    EXPECT_EQ(store::count_bars(client, db_, q), 0u);
    EXPECT_TRUE(store::select_bars(client, db_, q, 10, 0).empty());
    if (v.empty()) continue;
    store::FeatureQuery f;
    f.names = {"ema_120", v};
    try {
      store::select_features(client, db_, f, 10, 0);
      ADD_FAILURE() << "a feature named by a hostile string was answered";
    } catch (const clickhouse::ServerError& e) {
      // 47 UNKNOWN_IDENTIFIER: the name was read as one quoted name. A syntax error would be 62.
      EXPECT_EQ(e.code(), 47) << e.what();
    }
  }
}

TEST_F(SqlSafetyTest, MalformedDatabaseNamesAreRefusedBeforeAnyStatement) {
  auto client = connect();
  auto before = clickhouse("SELECT name FROM system.databases ORDER BY name FORMAT TSV");
  for (std::string name : {"x; DROP DATABASE default", "a`b", "a/b", "", "ライブ", "a\nb"}) {
    SCOPED_TRACE(name);
    try {
      store::init_clickhouse(client, name, PipelineSettings{});
      ADD_FAILURE() << "init accepted it";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("CLICKHOUSE_DB"), std::string::npos) << e.what();
    }
    EXPECT_THROW(store::RunStore(client, name, PipelineSettings{}), InputError);
  }
  EXPECT_EQ(clickhouse("SELECT name FROM system.databases ORDER BY name FORMAT TSV"), before);
}

}  // namespace
}  // namespace ypa::testing
