// The native client against the real server: type round trips, large inserts, server errors, blocks
// refused before sending, cancellation, and agreement with clickhouse-client in both directions.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "clickhouse/client.hpp"
#include "support/run_command.hpp"
#include "support/stack_env.hpp"

namespace ypa::clickhouse {
namespace {

// The server of the stack, in its always-present "default" database (each test makes its own).
ClientOptions test_options() {
  ClientOptions o = ClientOptions::from_settings(ypa::testing::clickhouse_settings());
  o.database = "default";
  return o;
}

// Each test works in its own database, dropped afterwards.
class ClickHouseClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = std::make_unique<Client>(test_options());
    db_ = ypa::testing::unique_name("ch_client");
    client_->execute("CREATE DATABASE " + db_);
  }
  void TearDown() override {
    if (client_) {
      client_->reconnect();
      client_->execute("DROP DATABASE IF EXISTS " + db_);
    }
  }
  std::string table(const std::string& name) const { return db_ + "." + name; }
  std::uint64_t count(const std::string& name) {
    return std::stoull(*client_->select_value("SELECT count() FROM " + table(name)));
  }
  // Runs clickhouse-client against the same server.
  ypa::testing::CommandResult cli(const std::string& query) {
    const auto s = ypa::testing::clickhouse_settings();
    return ypa::testing::run_command({"clickhouse-client", "--host", s.host, "--port", std::to_string(s.port),
                                      "--user", s.user, "--password", s.password, "--query", query});
  }

  std::unique_ptr<Client> client_;
  std::string db_;
};

constexpr const char* kAllTypesColumns =
    "(u8 UInt8, u16 UInt16, u32 UInt32, u64 UInt64, i32 Int32, i64 Int64, f64 Float64, s String, d Date, "
    "dt DateTime, tk DateTime('Asia/Tokyo'), nu32 Nullable(UInt32), nf64 Nullable(Float64), ns "
    "Nullable(String), "
    "ntk Nullable(DateTime('Asia/Tokyo')))";

// 2024-10-31 23:59:59 and 2024-11-01 00:00:00 in Tokyo: the instant a Tokyo month turns.
constexpr std::uint32_t kTokyoOctLast = 1730386799;
constexpr std::uint32_t kTokyoNovFirst = 1730386800;

Block all_types_block() {
  Block b;
  auto& u8 = b.add<ColumnUInt8>("u8");
  auto& u16 = b.add<ColumnUInt16>("u16");
  auto& u32 = b.add<ColumnUInt32>("u32");
  auto& u64 = b.add<ColumnUInt64>("u64");
  auto& i32 = b.add<ColumnInt32>("i32");
  auto& i64 = b.add<ColumnInt64>("i64");
  auto& f64 = b.add<ColumnFloat64>("f64");
  auto& s = b.add<ColumnString>("s");
  auto& d = b.add<ColumnDate>("d");
  auto tk_col = std::make_shared<ColumnDateTime>("Asia/Tokyo");
  auto& dt = b.add<ColumnDateTime>("dt");
  b.add("tk", tk_col);
  auto nu32 = std::make_shared<ColumnNullable>(std::make_shared<ColumnUInt32>());
  auto nf64 = std::make_shared<ColumnNullable>(std::make_shared<ColumnFloat64>());
  auto ns = std::make_shared<ColumnNullable>(std::make_shared<ColumnString>());
  auto ntk = std::make_shared<ColumnNullable>(std::make_shared<ColumnDateTime>("Asia/Tokyo"));
  b.add("nu32", nu32).add("nf64", nf64).add("ns", ns).add("ntk", ntk);

  // Row 0: minima and empties; row 1: maxima; row 2: everyday values with non-ASCII text;
  // rows 3 and 4: either side of the Tokyo month boundary.
  u8.append(0), u8.append(255), u8.append(42), u8.append(1), u8.append(2);
  u16.append(0), u16.append(65535), u16.append(1000), u16.append(1), u16.append(2);
  u32.append(0), u32.append(4294967295u), u32.append(123456), u32.append(1), u32.append(2);
  u64.append(0), u64.append(std::numeric_limits<std::uint64_t>::max()), u64.append(1ull << 40), u64.append(1),
      u64.append(2);
  i32.append(std::numeric_limits<std::int32_t>::min()), i32.append(std::numeric_limits<std::int32_t>::max()),
      i32.append(-5), i32.append(0), i32.append(1);
  i64.append(std::numeric_limits<std::int64_t>::min()), i64.append(std::numeric_limits<std::int64_t>::max()),
      i64.append(-7), i64.append(0), i64.append(1);
  f64.append(-std::numeric_limits<double>::max()), f64.append(std::numeric_limits<double>::max()),
      f64.append(0.1), f64.append(std::numeric_limits<double>::denorm_min()), f64.append(-0.0);
  s.append(""), s.append(std::string(1000, 'x')), s.append("iPhone 15 Pro 256GB ブラック 買取"),
      s.append(std::string("tab\there, quote' and nul ") + '\0' + "!"), s.append("😀");
  d.append(0), d.append(65535), d.append(19782), d.append(20027), d.append(20028);
  dt.append(0), dt.append(4294967295u), dt.append(1700000000), dt.append(kTokyoOctLast),
      dt.append(kTokyoNovFirst);
  auto& tk = *tk_col;
  tk.append(0), tk.append(4294967295u), tk.append(1700000000), tk.append(kTokyoOctLast),
      tk.append(kTokyoNovFirst);
  nu32->append<ColumnUInt32>(std::optional<std::uint32_t>{}),
      nu32->append<ColumnUInt32>(std::optional(4294967295u)), nu32->append<ColumnUInt32>(std::optional(0u)),
      nu32->append<ColumnUInt32>(std::optional<std::uint32_t>{}),
      nu32->append<ColumnUInt32>(std::optional(7u));
  nf64->append<ColumnFloat64>(std::optional<double>{}), nf64->append<ColumnFloat64>(std::optional(1e300)),
      nf64->append<ColumnFloat64>(std::optional(-2.5)), nf64->append<ColumnFloat64>(std::optional(0.0)),
      nf64->append<ColumnFloat64>(std::optional<double>{});
  ns->append<ColumnString>(std::optional<std::string>{}),
      ns->append<ColumnString>(std::optional<std::string>("")),
      ns->append<ColumnString>(std::optional<std::string>("東京")),
      ns->append<ColumnString>(std::optional<std::string>{}),
      ns->append<ColumnString>(std::optional<std::string>("z"));
  ntk->append<ColumnDateTime>(std::optional<std::uint32_t>{}),
      ntk->append<ColumnDateTime>(std::optional(kTokyoOctLast)),
      ntk->append<ColumnDateTime>(std::optional(0u)),
      ntk->append<ColumnDateTime>(std::optional(kTokyoNovFirst)),
      ntk->append<ColumnDateTime>(std::optional<std::uint32_t>{});
  return b;
}

void expect_same_cells(const Block& want, const Block& got) {
  ASSERT_EQ(want.column_count(), got.column_count());
  ASSERT_EQ(want.row_count(), got.row_count());
  for (std::size_t c = 0; c < want.column_count(); ++c) {
    EXPECT_EQ(want.name(c), got.name(c));
    for (std::size_t r = 0; r < want.row_count(); ++r) {
      EXPECT_EQ(want.column(c).is_null(r), got.column(c).is_null(r)) << want.name(c) << " row " << r;
      std::string a;
      std::string b;
      want.column(c).append_text(r, a);
      got.column(c).append_text(r, b);
      EXPECT_EQ(a, b) << want.name(c) << " row " << r;
    }
  }
}

TEST_F(ClickHouseClientTest, RoundTripsEveryTypeWithNullsExtremesAndTokyoMonthBoundary) {
  client_->execute("CREATE TABLE " + table("t") + " " + kAllTypesColumns + " ENGINE = Memory");
  const Block sent = all_types_block();
  client_->insert(table("t"), sent);
  ASSERT_EQ(count("t"), 5u);

  Block got;
  client_->select("SELECT u8, u16, u32, u64, i32, i64, f64, s, d, dt, tk, nu32, nf64, ns, ntk FROM " +
                      table("t") + " ORDER BY u8 = 0 DESC, u8 = 255 DESC, u8 = 42 DESC, u8",
                  [&](const Block& b) {
                    ASSERT_EQ(got.column_count(), 0u) << "5 rows should come as one block";
                    got = b;
                  });
  expect_same_cells(sent, got);
  EXPECT_EQ(got.column(std::string_view("tk")).type_name(), "DateTime('Asia/Tokyo')");
  EXPECT_EQ(got.column(std::string_view("ns")).type_name(), "Nullable(String)");
  const auto& f = got.column(std::string_view("f64")).as<ColumnFloat64>();
  EXPECT_TRUE(std::signbit(f[4]));
  EXPECT_EQ(f[3], std::numeric_limits<double>::denorm_min());
  const auto& s = got.column(std::string_view("s")).as<ColumnString>();
  EXPECT_EQ(s[3], std::string_view("tab\there, quote' and nul \0!", 27));

  // The server sees the Tokyo month boundary where Tokyo has it.
  const auto months = client_->select_rows("SELECT toYYYYMM(tk), toString(tk) FROM " + table("t") +
                                           " WHERE dt IN (" + std::to_string(kTokyoOctLast) + ", " +
                                           std::to_string(kTokyoNovFirst) + ") ORDER BY tk");
  ASSERT_EQ(months.size(), 2u);
  EXPECT_EQ(months[0][0], "202410");
  EXPECT_EQ(months[0][1], "2024-10-31 23:59:59");
  EXPECT_EQ(months[1][0], "202411");
  EXPECT_EQ(months[1][1], "2024-11-01 00:00:00");
}

TEST_F(ClickHouseClientTest, RoundTripsWithoutCompression) {
  ClientOptions o = test_options();
  o.compression = false;
  Client plain(o);
  plain.execute("CREATE TABLE " + table("t") + " " + kAllTypesColumns + " ENGINE = Memory");
  const Block sent = all_types_block();
  plain.insert(table("t"), sent);
  Block got;
  plain.select("SELECT * FROM " + table("t") + " ORDER BY u8 = 0 DESC, u8 = 255 DESC, u8 = 42 DESC, u8",
               [&](const Block& b) { got = b; });
  expect_same_cells(sent, got);
}

TEST_F(ClickHouseClientTest, ReadsLowCardinalityThroughCast) {
  client_->execute("SET allow_experimental_low_cardinality_type = 1");
  const auto rows = client_->select_rows(
      "SELECT CAST(toString(number % 3) AS LowCardinality(String)) AS lc, "
      "CAST(if(number % 2 = 0, NULL, concat('v', toString(number % 4))) AS LowCardinality(Nullable(String))) "
      "AS ln "
      "FROM system.numbers LIMIT 6");
  ASSERT_EQ(rows.size(), 6u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i][0], std::to_string(i % 3));
    if (i % 2 == 0) {
      EXPECT_FALSE(rows[i][1].has_value());
    } else {
      EXPECT_EQ(rows[i][1], "v" + std::to_string(i % 4));
    }
  }
  std::string type;
  client_->select("SELECT CAST('x' AS LowCardinality(String)) AS lc",
                  [&](const Block& b) { type = b.column(0).type_name(); });
  EXPECT_EQ(type, "LowCardinality(String)");
}

TEST_F(ClickHouseClientTest, ReadsArraysEnumsAndSystemTables) {
  const auto rows = client_->select_rows(
      "SELECT [1, 2, 3], ['a', ''], CAST('b' AS Enum8('a' = 1, 'b' = -2)), toFixedString('ab', 3) = 'ab\\0'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "[1,2,3]");
  EXPECT_EQ(rows[0][1], "[a,]");
  EXPECT_EQ(rows[0][2], "b");
  EXPECT_EQ(rows[0][3], "1");
  client_->execute("CREATE TABLE " + table("m") +
                   " (a UInt32, b Nullable(Float64)) ENGINE = MergeTree ORDER BY a");
  const auto cols = client_->select_rows("SELECT name, type FROM system.columns WHERE database = '" + db_ +
                                         "' AND table = 'm' ORDER BY name");
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[1][1], "Nullable(Float64)");
}

TEST_F(ClickHouseClientTest, InsertsOneMillionRowsInOneBlock) {
  client_->execute("CREATE TABLE " + table("big") +
                   " (id UInt64, name String, v Nullable(Float64)) ENGINE = MergeTree ORDER BY id");
  constexpr std::size_t kRows = 1'000'000;
  Block b;
  auto& id = b.add<ColumnUInt64>("id");
  auto& name = b.add<ColumnString>("name");
  auto v = std::make_shared<ColumnNullable>(std::make_shared<ColumnFloat64>());
  b.add("v", v);
  for (std::size_t i = 0; i < kRows; ++i) {
    id.append(i);
    name.append("row" + std::to_string(i % 1000));
    v->append<ColumnFloat64>(i % 10 == 0 ? std::nullopt : std::optional(static_cast<double>(i) / 4));
  }
  client_->insert(table("big"), b);
  const auto r = client_->select_rows(
      "SELECT count(), sum(id), countIf(v IS NULL), sum(v), uniqExact(name) FROM " + table("big"));
  EXPECT_EQ(r[0][0], "1000000");
  EXPECT_EQ(r[0][1], "499999500000");
  EXPECT_EQ(r[0][2], "100000");
  EXPECT_EQ(r[0][4], "1000");

  // And read back, streamed block by block.
  std::uint64_t rows = 0;
  std::uint64_t sum = 0;
  std::size_t blocks = 0;
  client_->select("SELECT id FROM " + table("big"), [&](const Block& block) {
    ++blocks;
    for (const auto x : block.column(0).as<ColumnUInt64>().values()) sum += x;
    rows += block.row_count();
  });
  EXPECT_EQ(rows, kRows);
  EXPECT_EQ(sum, 499999500000u);
  EXPECT_GT(blocks, 1u);
}

TEST_F(ClickHouseClientTest, InsertsOneMillionRowsInManySmallBlocks) {
  client_->execute("CREATE TABLE " + table("big") +
                   " (id UInt64, tk DateTime('Asia/Tokyo')) ENGINE = Memory");
  Inserter ins = client_->begin_insert(table("big"), {"id", "tk"});
  Block b = ins.make_block();
  std::uint64_t next = 0;
  for (int block = 0; block < 1000; ++block) {
    b.clear_rows();
    auto& id = b.column(0).as<ColumnUInt64>();
    auto& tk = b.column(1).as<ColumnDateTime>();
    for (int i = 0; i < 1000; ++i) {
      id.append(next);
      tk.append(static_cast<std::uint32_t>(1700000000 + next));
      ++next;
    }
    ins.write(b);
  }
  EXPECT_EQ(ins.finish(), 1'000'000u);
  const auto r = client_->select_rows("SELECT count(), sum(id), min(tk), max(tk) FROM " + table("big"));
  EXPECT_EQ(r[0][0], "1000000");
  EXPECT_EQ(r[0][1], "499999500000");
  EXPECT_EQ(r[0][2], "1700000000");
  EXPECT_EQ(r[0][3], "1700999999");
}

TEST_F(ClickHouseClientTest, ServerErrorsCarryCodeAndMessageAndLeaveTheConnectionUsable) {
  try {
    client_->execute("SELEC 1");
    FAIL() << "bad SQL accepted";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), 62);  // SYNTAX_ERROR
    EXPECT_EQ(e.name(), "DB::Exception");
    EXPECT_NE(std::string(e.what()).find("Syntax error"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("SELEC 1"), std::string::npos) << e.what();
  }
  try {
    client_->select_rows("SELECT * FROM " + table("missing"));
    FAIL() << "unknown table accepted";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), 60);  // UNKNOWN_TABLE
    EXPECT_NE(e.message().find("missing"), std::string::npos) << e.message();
  }
  try {
    client_->insert(table("missing"), all_types_block());
    FAIL() << "insert into an unknown table accepted";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), 60);
  }
  EXPECT_EQ(client_->select_value("SELECT 41 + 1"), "42");
}

TEST_F(ClickHouseClientTest, ExceptionDuringInsertResetsTheConnection) {
  client_->execute("CREATE TABLE " + table("src") + " (x UInt32) ENGINE = Null");
  client_->execute("CREATE MATERIALIZED VIEW " + table("mv") +
                   " ENGINE = Memory AS SELECT throwIf(x = 13) AS t FROM " + table("src"));
  Inserter ins = client_->begin_insert(table("src"), {"x"});
  Block b = ins.make_block();
  for (std::uint32_t i = 0; i < 20; ++i) b.column(0).as<ColumnUInt32>().append(i);
  try {
    ins.write(b);
    ins.finish();
    FAIL() << "throwIf did not fire";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), 395);
  }
  EXPECT_FALSE(client_->connected());
  EXPECT_EQ(client_->select_value("SELECT 1"), "1");  // reconnects by itself
}

TEST_F(ClickHouseClientTest, RefusesMismatchedBlocksBeforeSendingAnything) {
  client_->execute(
      "CREATE TABLE " + table("f") +
      " (run_id String, bucket DateTime('Asia/Tokyo'), std Nullable(Float64), n UInt16 DEFAULT 1) "
      "ENGINE = MergeTree ORDER BY (run_id, bucket)");
  auto make = [](bool nullable_std, bool with_bucket, bool extra) {
    Block b;
    b.add<ColumnString>("run_id").append("r1");
    if (with_bucket)
      b.add<ColumnDateTime>("bucket").append(kTokyoNovFirst);  // zone-less DateTime is accepted
    if (nullable_std) {
      auto c = std::make_shared<ColumnNullable>(std::make_shared<ColumnFloat64>());
      c->append<ColumnFloat64>(std::optional(1.5));
      b.add("std", c);
    } else {
      b.add<ColumnFloat64>("std").append(1.5);  // crashes an 18.16 server if sent
    }
    if (extra) b.add<ColumnUInt8>("bogus").append(1);
    return b;
  };
  const auto expect_refused = [&](const Block& b, const std::string& needle) {
    try {
      Inserter ins = client_->begin_insert(table("f"), {"run_id", "bucket", "std"});
      ins.write(b);
      FAIL() << "block accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_refused(make(false, true, false), "'std' is Float64 but the table expects Nullable(Float64)");
  expect_refused(make(true, false, false), "lacks column 'bucket'");
  expect_refused(make(true, true, true), "'bogus'");
  try {
    client_->insert(table("f") + " (run_id, bucket, std)", make(false, true, false));
    FAIL() << "block accepted";
  } catch (const UsageError&) {
  }
  client_->ping();  // the server is still alive
  EXPECT_EQ(count("f"), 0u);
  // The same INSERT with the right types goes through, columns in any order.
  Block ok = make(true, true, false);
  Block reordered;
  reordered.add("std", ok.column_ptr(2)).add("bucket", ok.column_ptr(1)).add("run_id", ok.column_ptr(0));
  client_->insert(table("f"), reordered);
  const auto r = client_->select_rows("SELECT run_id, toString(bucket), std, n FROM " + table("f"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][1], "2024-11-01 00:00:00");
  EXPECT_EQ(r[0][2], "1.5");
  EXPECT_EQ(r[0][3], "1");
}

TEST_F(ClickHouseClientTest, SettingsAndQueryIds) {
  QueryOptions with_settings;
  with_settings.settings.push_back({"max_threads", "1"});
  if (client_->server_info().negotiated_revision < revision::kSettingsAsStrings) {
    EXPECT_THROW(client_->execute("SELECT 1", with_settings), UsageError);
    EXPECT_EQ(client_->select_value("SELECT value FROM system.settings WHERE name = 'max_threads' "
                                    "SETTINGS max_threads = 3"),
              "3");
  } else {
    EXPECT_EQ(
        client_->select_value("SELECT value FROM system.settings WHERE name = 'max_threads'", with_settings),
        "1");
  }
  client_->execute("SET max_threads = 2");
  EXPECT_EQ(client_->select_value("SELECT value FROM system.settings WHERE name = 'max_threads'"), "2");
  QueryOptions with_id;
  with_id.query_id = ypa::testing::unique_name("qid");
  // The running query sees itself in system.processes under the id we gave it.
  EXPECT_EQ(client_->select_value(
                "SELECT count() FROM system.processes WHERE query_id = '" + with_id.query_id + "'", with_id),
            "1");
}

TEST_F(ClickHouseClientTest, SessionStatementsSurviveReconnect) {
  ClientOptions o = test_options();
  o.session_statements = {"SET max_threads = 3"};
  Client c(o);
  EXPECT_EQ(c.select_value("SELECT value FROM system.settings WHERE name = 'max_threads'"), "3");
  c.reconnect();
  EXPECT_EQ(c.select_value("SELECT value FROM system.settings WHERE name = 'max_threads'"), "3");
}

TEST_F(ClickHouseClientTest, CancelsALongSelect) {
  std::uint64_t seen = 0;
  const bool finished = client_->select_while("SELECT number FROM system.numbers", [&](const Block& b) {
    seen += b.row_count();
    return seen < 200000;
  });
  EXPECT_FALSE(finished);
  EXPECT_GE(seen, 200000u);
  EXPECT_EQ(client_->select_value("SELECT 7"), "7");
}

TEST_F(ClickHouseClientTest, ExceptionInCallbackDropsConnectionAndNextCallReconnects) {
  EXPECT_THROW(client_->select("SELECT number FROM numbers(100000)",
                               [](const Block&) { throw std::runtime_error("stop"); }),
               std::runtime_error);
  EXPECT_EQ(client_->select_value("SELECT 8"), "8");
}

TEST_F(ClickHouseClientTest, WhatWeWriteClickHouseClientReadsIdentically) {
  client_->execute("CREATE TABLE " + table("t") + " " + kAllTypesColumns + " ENGINE = Memory");
  client_->insert(table("t"), all_types_block());
  const auto out = cli("SELECT * FROM " + table("t") + " WHERE u8 = 42 FORMAT TabSeparated");
  ASSERT_EQ(out.exit_code, 0) << out.err;
  // A zero DateTime prints as 0000-00-00 00:00:00 on 18.16 and as the epoch in Tokyo on newer servers.
  const std::string head =
      "42\t1000\t123456\t1099511627776\t-5\t-7\t0.1\tiPhone 15 Pro 256GB ブラック 買取\t2024-02-29\t"
      "2023-11-14 22:13:20\t2023-11-15 07:13:20\t0\t-2.5\t東京\t";
  EXPECT_TRUE(out.out == head + "0000-00-00 00:00:00\n" || out.out == head + "1970-01-01 09:00:00\n")
      << out.out;
  const auto boundary =
      cli("SELECT tk, ntk, d FROM " + table("t") + " WHERE u8 IN (1, 2) ORDER BY u8 FORMAT TabSeparated");
  ASSERT_EQ(boundary.exit_code, 0) << boundary.err;
  EXPECT_EQ(boundary.out,
            "2024-10-31 23:59:59\t2024-11-01 00:00:00\t2024-10-31\n2024-11-01 00:00:00\t\\N\t2024-11-01\n");
}

TEST_F(ClickHouseClientTest, WhatClickHouseClientWritesWeReadIdentically) {
  client_->execute("CREATE TABLE " + table("t") + " " + kAllTypesColumns + " ENGINE = Memory");
  const auto in =
      cli("INSERT INTO " + table("t") +
          " VALUES (255, 65535, 4294967295, 18446744073709551615, -2147483648, -9223372036854775808, "
          "-1.5e300, '買取 ✓', '2024-11-01', '2024-10-31 15:00:00', '2024-11-01 00:00:00', NULL, 0.25, "
          "'', NULL)");
  ASSERT_EQ(in.exit_code, 0) << in.err;
  const auto rows = client_->select_rows("SELECT * FROM " + table("t"));
  ASSERT_EQ(rows.size(), 1u);
  const TextRow want = {"255",
                        "65535",
                        "4294967295",
                        "18446744073709551615",
                        "-2147483648",
                        "-9223372036854775808",
                        "-1.5e+300",
                        "買取 ✓",
                        "2024-11-01",
                        "1730386800",  // the server's zone is UTC: 2024-10-31 15:00:00Z
                        "1730386800",  // 2024-11-01 00:00:00 in Tokyo
                        std::nullopt,
                        "0.25",
                        "",
                        std::nullopt};
  EXPECT_EQ(rows[0], want);
}

// --- The server checks the CityHash128 checksums of the compressed frames we send ---------------------

// What CheckingTransport saw and is asked to do, shared with the test.
struct FrameTap {
  std::atomic<bool> flip_next{false};  // flip one bit of the next Data packet's checksum
  std::atomic<int> lz4_frames{0};      // Data packets that went out as LZ4 frames
  std::atomic<int> flipped{0};
};

// TCP to the server, watching the Data packets the client writes: [code 2]["" table name][checksum 16]
// [method][sizes][payload]. Each flush writes one packet, so a packet starts at the start of a write.
class CheckingTransport final : public wire::Transport {
 public:
  CheckingTransport(std::unique_ptr<wire::Transport> inner, std::shared_ptr<FrameTap> tap)
      : inner_(std::move(inner)), tap_(std::move(tap)) {}
  std::size_t read_some(std::span<std::byte> dst) override { return inner_->read_some(dst); }
  bool readable_now() override { return inner_->readable_now(); }
  const wire::Endpoint& endpoint() const override { return inner_->endpoint(); }
  void write_all(std::span<const std::byte> src) override {
    constexpr std::size_t kChecksumAt = 2;
    constexpr std::size_t kMethodAt = kChecksumAt + 16;
    const bool data = src.size() > kMethodAt && src[0] == std::byte{2} && src[1] == std::byte{0};
    if (!data) return inner_->write_all(src);
    if (src[kMethodAt] == std::byte{0x82}) ++tap_->lz4_frames;
    if (!tap_->flip_next.exchange(false)) return inner_->write_all(src);
    std::vector<std::byte> copy(src.begin(), src.end());
    copy[kChecksumAt + 5] ^= std::byte{0x10};
    ++tap_->flipped;
    inner_->write_all(copy);
    // Wait for the server's answer, so that the client reads the refusal before it writes again: the
    // server closes the connection after it, and a write that raced it would only see a reset.
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
         !inner_->readable_now() && std::chrono::steady_clock::now() < deadline;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

 private:
  std::unique_ptr<wire::Transport> inner_;
  std::shared_ptr<FrameTap> tap_;
};

ClientOptions compressed_options(const std::shared_ptr<FrameTap>& tap) {
  ClientOptions o = test_options();
  o.compression = true;
  o.transport_factory = [tap](const wire::Endpoint& endpoint, const wire::Timeouts& timeouts) {
    return std::make_unique<CheckingTransport>(wire::connect_tcp(endpoint, timeouts), tap);
  };
  return o;
}

// Rows of strings 0..n-1 characters long, so that every block is a frame of another length.
Block strings_block(std::size_t first, std::size_t rows) {
  Block b;
  auto& id = b.add<ColumnUInt64>("id");
  auto& s = b.add<ColumnString>("s");
  for (std::size_t i = first; i < first + rows; ++i) {
    id.append(i);
    s.append(std::string(i % 300, static_cast<char>('a' + i % 26)));
  }
  return b;
}

// An 18.16 server reads a compressed block only when the CityHash128 v1.0.2 checksum in front of it is
// the one it computes itself: every block accepted is a vector checked by the reference implementation.
TEST_F(ClickHouseClientTest, ServerAcceptsOurCompressedFramesOfManyLengths) {
  auto tap = std::make_shared<FrameTap>();
  Client client(compressed_options(tap));
  client.execute("CREATE TABLE " + table("frames") + " (id UInt64, s String) ENGINE = Memory");
  auto inserter = client.begin_insert(table("frames"));
  std::size_t rows = 0;
  for (std::size_t n = 1; n <= 60; ++n) {  // 60 frames, from a few bytes to about 20 KB
    inserter.write(strings_block(rows, n));
    rows += n;
  }
  // And a block larger than one frame's 1 MiB input: several frames in one Data packet.
  inserter.write(strings_block(rows, 8000));
  rows += 8000;
  EXPECT_EQ(inserter.finish(), rows);
  EXPECT_GE(tap->lz4_frames.load(), 61) << "the blocks went out as LZ4 frames";
  const auto r = client_->select_rows("SELECT count(), sum(id), sum(length(s)) FROM " + table("frames"));
  std::uint64_t length_sum = 0;
  for (std::size_t i = 0; i < rows; ++i) length_sum += i % 300;
  EXPECT_EQ(r[0][0], std::to_string(rows));
  EXPECT_EQ(r[0][1], std::to_string(rows * (rows - 1) / 2));
  EXPECT_EQ(r[0][2], std::to_string(length_sum));
}

TEST_F(ClickHouseClientTest, ServerRefusesACompressedFrameWithOneChecksumBitFlipped) {
  auto tap = std::make_shared<FrameTap>();
  Client client(compressed_options(tap));
  client.execute("CREATE TABLE " + table("frames") + " (id UInt64, s String) ENGINE = Memory");
  auto inserter = client.begin_insert(table("frames"));
  tap->flip_next = true;
  try {
    inserter.write(strings_block(0, 100));
    // The client reads what the server sent before it writes the next block.
    inserter.write(strings_block(100, 1));
    inserter.finish();
    ADD_FAILURE() << "the server accepted a frame whose checksum is wrong";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), 40) << e.what();  // CHECKSUM_DOESNT_MATCH
  }
  EXPECT_EQ(tap->flipped.load(), 1);
  EXPECT_EQ(count("frames"), 0u);
  // The same block with its checksum intact is accepted on the reconnected client.
  client.insert(table("frames"), strings_block(0, 100));
  EXPECT_EQ(count("frames"), 100u);
}

// The other direction: the server's frames of many lengths pass our check (a mismatch is a
// ProtocolError), with max_block_size cutting the result into blocks of 1 to 1000 rows.
TEST_F(ClickHouseClientTest, ServersCompressedFramesOfManyLengthsPassOurChecksum) {
  auto tap = std::make_shared<FrameTap>();
  Client client(compressed_options(tap));
  for (int block_rows : {1, 7, 100, 1000}) {
    client.execute("SET max_block_size = " + std::to_string(block_rows));
    std::uint64_t rows = 0;
    std::uint64_t length_sum = 0;
    client.select(
        "SELECT arrayStringConcat(arrayMap(i -> 'x', range(number % 500))) AS s FROM system.numbers LIMIT "
        "3000",
        [&](const Block& block) {
          rows += block.row_count();
          for (std::size_t i = 0; i < block.row_count(); ++i) {
            std::string text;
            block.column(0).append_text(i, text);
            length_sum += text.size();
          }
        });
    EXPECT_EQ(rows, 3000u) << block_rows;
    EXPECT_EQ(length_sum, 6u * (499u * 500u / 2)) << block_rows;
  }
}

}  // namespace
}  // namespace ypa::clickhouse
