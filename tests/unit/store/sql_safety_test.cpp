// Every SQL builder of store/ with hostile values in each text parameter: quotes, backslashes,
// backticks, NUL and other control bytes, newlines, comments, very long strings, non-ASCII and invalid
// UTF-8. Each value must be either refused with an InputError whose one-line message names the
// parameter, or inert: the statement lexes (sql_lexer.hpp, ClickHouse's rules) into the same tokens as
// with a benign value, the value only inside string literals or quoted names whose decoded text is the
// benign one's with the value in its place, and no raw control byte anywhere.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>

#include "core/errors.hpp"
#include "sql_lexer.hpp"
#include "store/api_queries.hpp"
#include "store/cluster.hpp"
#include "store/compare.hpp"
#include "store/pipeline_queries.hpp"
#include "store/runs_sql.hpp"
#include "store/schema.hpp"
#include "store/sql_text.hpp"

namespace ypa::store {
namespace {

using testing::lex;
using testing::Token;
using testing::TokenKind;

// Accepted by every parameter, and found nowhere in the constant text of any statement.
const std::string kBenign = "Benign7";

const std::vector<std::string>& hostile_values() {
  static const std::vector<std::string> values{
      "x'y",
      "x') OR 1=1 --",
      "\\",
      "a\\",
      "a\\'b",
      "'",
      "''",
      "`",
      "x`y",
      "a`.`b",
      "x\"y",
      std::string("a\0b", 3),
      std::string(1, '\0'),
      "a\nb",
      "a\r\n-- comment",
      "/* c */",
      "a; DROP TABLE t",
      "a\\x27b",
      "\\'; SELECT 1; --",
      "{shard}/../x",
      "a/b",
      "{}",
      "%s",
      "\x01\x1f\x7f",
      "\xe3\x83\xa9\xe3\x82\xa4\xe3\x83\x96",  // ライブ
      "caf\xc3\xa9",
      "\xff\xfe",  // not UTF-8
      "\xe3\x83",  // a cut UTF-8 sequence
      " ",
      "",
      std::string(100'000, 'x'),
      std::string(5'000, '\''),
      std::string(5'000, '\\'),
  };
  return values;
}

enum class Expect {
  kInert,   // refused with InputError naming the parameter, or inert
  kRefuse,  // refused with InputError naming the parameter (run ids: no hostile value is a run id)
};

struct Case {
  std::string name;   // builder(parameter)
  std::string param;  // the word the InputError must contain
  Expect expect;
  std::function<std::string(const std::string&)> build;
  bool empty_means_none = false;  // "" is a meaningful value (no cluster), not a hostile one
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string shown(const std::string& value) {
  std::string out;
  for (std::size_t i = 0; i < value.size() && i < 40; ++i) {
    auto c = static_cast<unsigned char>(value[i]);
    out += (c < 0x20 || c >= 0x7f) ? fmt::format("\\x{:02x}", c) : std::string(1, value[i]);
  }
  return value.size() > 40 ? fmt::format("{}... ({} bytes)", out, value.size()) : out;
}

::testing::AssertionResult inert(const std::string& benign_sql, const std::string& hostile_sql,
                                 const std::string& hostile) {
  for (char ch : hostile_sql) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && ch != '\n') || c == 0x7f) {
      return ::testing::AssertionFailure() << fmt::format("raw byte 0x{:02x} in the statement", c);
    }
  }
  auto expected = lex(benign_sql);
  auto got = lex(hostile_sql);
  for (const auto& t : expected) {
    if (t.kind == TokenKind::kBad || t.kind == TokenKind::kComment) {
      return ::testing::AssertionFailure() << "the benign statement does not lex: " << benign_sql;
    }
  }
  if (got.size() != expected.size()) {
    return ::testing::AssertionFailure() << got.size() << " tokens instead of " << expected.size() << ": "
                                         << shown(hostile_sql.substr(0, 400));
  }
  bool benign_seen = false;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const Token& e = expected[i];
    const Token& g = got[i];
    if (g.kind != e.kind) return ::testing::AssertionFailure() << "token " << i << " changed kind";
    if (e.kind == TokenKind::kWord || e.kind == TokenKind::kPunct) {
      if (g.text != e.text) {
        return ::testing::AssertionFailure()
               << "token " << i << " is " << shown(g.text) << ", not " << e.text;
      }
      if (e.text.find(kBenign) != std::string::npos) {
        return ::testing::AssertionFailure() << "the value is pasted outside quotes: " << e.text;
      }
    } else {
      benign_seen = benign_seen || e.text.find(kBenign) != std::string::npos;
      if (g.text != replace_all(e.text, kBenign, hostile)) {
        return ::testing::AssertionFailure() << "quoted token " << i << " decodes to " << shown(g.text);
      }
    }
  }
  if (!benign_seen) return ::testing::AssertionFailure() << "the value is nowhere in " << benign_sql;
  return ::testing::AssertionSuccess();
}

PipelineSettings settings() {
  return PipelineSettings{};
}

TableSpec spec_with_column(const std::string& name) {
  return TableSpec{
      "t", {{"run_id", "String", ""}, {name, "UInt32", "1"}}, "ENGINE = MergeTree ORDER BY run_id"};
}

PromoteOptions promote(const std::string& source, const std::string& target) {
  return PromoteOptions{source, target, false, false};
}

CompareOptions compare(const std::string& base, const std::string& target, std::vector<std::string> scopes) {
  CompareOptions o;
  o.base = base;
  o.target = target;
  o.scopes = std::move(scopes);
  return o;
}

BarQuery bars(const std::string& run, const std::string& scope) {
  BarQuery q;
  q.run_id = run;
  q.scope_in = {{scope, "iphone:1"}};
  q.order = {{"mean", true}};
  return q;
}

FeatureQuery features(const std::string& run, const std::string& scope, const std::string& name) {
  FeatureQuery q;
  q.run_id = run;
  q.scope_in = {{scope}};
  q.names = {"ema_120", name};
  return q;
}

PriceQuery prices(const std::string& run) {
  PriceQuery q;
  q.run_id = run;
  q.shop_in = {{1, 2}};
  return q;
}

std::string joined(const std::vector<std::string>& statements) {
  std::string out;
  for (const auto& s : statements) out += s + "\n";
  return out;
}

std::vector<Case> cases() {
  const std::string db = "db", live = "live", bf = "bf", cl = "two_shards";
  using E = Expect;
  std::vector<Case> c{
      // sql_text
      {"string_literal", "", E::kInert, [](auto& v) { return "SELECT " + string_literal(v); }},
      {"identifier", "identifier", E::kInert, [](auto& v) { return "SELECT 1 AS " + identifier(v); }},
      {"qualified_table(database)", "identifier", E::kInert,
       [](auto& v) { return "SELECT 1 FROM " + qualified_table(v, "t"); }},
      {"qualified_table(table)", "identifier", E::kInert,
       [](auto& v) { return "SELECT 1 FROM " + qualified_table("db", v); }},
      {"partition_literal", "run_id", E::kRefuse, [](auto& v) { return partition_literal(v, 202501); }},
      {"on_cluster", "CLICKHOUSE_CLUSTER", E::kRefuse, [](auto& v) { return "DROP TABLE t" + on_cluster(v); },
       true},
      // pipeline_queries
      {"select_price_aligned_sql(database)", "identifier", E::kInert,
       [](auto& v) { return select_price_aligned_sql(v, "live", 1, 2, {1}, {2}); }},
      {"select_price_aligned_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return select_price_aligned_sql("db", v, 1, 2, {}, {}); }},
      {"select_latest_version_sql(database)", "identifier", E::kInert,
       [](auto& v) { return select_latest_version_sql(v, "live", 1, 2); }},
      {"select_latest_version_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return select_latest_version_sql("db", v, 1, 2); }},
      {"select_mean_history_sql(database)", "identifier", E::kInert,
       [](auto& v) { return select_mean_history_sql(v, "live", 1, 2); }},
      {"select_mean_history_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return select_mean_history_sql("db", v, 1, 2); }},
      {"select_latest_ema_sql(database)", "identifier", E::kInert,
       [](auto& v) { return select_latest_ema_sql(v, "live", 1, 2, {"ema_120"}); }},
      {"select_latest_ema_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return select_latest_ema_sql("db", v, 1, 2, {"ema_120"}); }},
      {"select_latest_ema_sql(column)", "identifier", E::kInert,
       [](auto& v) {
         return select_latest_ema_sql("db", "live", 1, 2, {"ema_120", v});
       }},
      {"select_last_bucket_sql(database)", "identifier", E::kInert,
       [](auto& v) { return select_last_bucket_sql(v, "live"); }},
      {"select_last_bucket_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return select_last_bucket_sql("db", v); }},
      {"select_first_bucket_sql(database)", "identifier", E::kInert,
       [](auto& v) { return select_first_bucket_sql(v, "live"); }},
      {"select_first_bucket_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return select_first_bucket_sql("db", v); }},
      {"select_pipeline_tables_sql(database)", "", E::kInert,
       [](auto& v) { return select_pipeline_tables_sql(v); }},
      // schema: `ypa init`
      {"create_table_sql(database)", "identifier", E::kInert,
       [](auto& v) { return create_table_sql(v, price_aligned_table(settings())); }},
      {"create_table_sql(PIPELINE_TZ)", "", E::kInert,
       [](auto& v) {
         PipelineSettings s;
         s.time_zone = v;
         return create_table_sql("db", features_wide_table(s));
       }},
      {"create_table_sql(column)", "identifier", E::kInert,
       [](auto& v) { return create_table_sql("db", spec_with_column(v)); }},
      {"create_table_sql(cluster)", "CLICKHOUSE_CLUSTER", E::kRefuse,
       [](auto& v) { return create_table_sql("db", spec_with_column("c"), v); }, true},
      {"create_database_sql(database)", "identifier", E::kInert,
       [](auto& v) { return create_database_sql(v); }},
      {"create_database_sql(cluster)", "CLICKHOUSE_CLUSTER", E::kRefuse,
       [](auto& v) { return create_database_sql("db", v); }, true},
      {"add_column_sql(database)", "identifier", E::kInert,
       [](auto& v) {
         return add_column_sql(v, "t", {"c", "UInt8", ""}, "b");
       }},
      {"add_column_sql(table)", "identifier", E::kInert,
       [](auto& v) {
         return add_column_sql("db", v, {"c", "UInt8", ""}, "b");
       }},
      {"add_column_sql(column)", "identifier", E::kInert,
       [](auto& v) {
         return add_column_sql("db", "t", {v, "UInt8", "1"}, "b");
       }},
      {"add_column_sql(after)", "identifier", E::kInert,
       [](auto& v) {
         return add_column_sql("db", "t", {"c", "UInt8", ""}, v);
       },
       true},
      {"add_column_sql(cluster)", "CLICKHOUSE_CLUSTER", E::kRefuse,
       [](auto& v) {
         return add_column_sql("db", "t", {"c", "UInt8", ""}, "b", v);
       },
       true},
      {"drop_table_sql(table)", "identifier", E::kInert, [](auto& v) { return drop_table_sql("db", v); }},
      {"drop_table_sql(cluster)", "CLICKHOUSE_CLUSTER", E::kRefuse,
       [](auto& v) { return drop_table_sql("db", "t", v); }, true},
      {"table_columns_sql(database)", "", E::kInert, [](auto& v) { return table_columns_sql(v, "t"); }},
      {"table_columns_sql(table)", "", E::kInert, [](auto& v) { return table_columns_sql("db", v); }},
      {"table_engine_sql(database)", "", E::kInert, [](auto& v) { return table_engine_sql(v, "t"); }},
      {"table_engine_sql(table)", "", E::kInert, [](auto& v) { return table_engine_sql("db", v); }},
      // cluster
      {"replicated_engine(database)", "CLICKHOUSE_DB", E::kRefuse,
       [](auto& v) { return "ENGINE = " + replicated_engine(v, "t_local"); }},
      {"create_local_table_sql(database)", "CLICKHOUSE_DB", E::kRefuse,
       [=](auto& v) { return create_local_table_sql(v, cl, price_aligned_table(settings())); }},
      {"create_local_table_sql(cluster)", "CLICKHOUSE_CLUSTER", E::kRefuse,
       [=](auto& v) { return create_local_table_sql(db, v, price_aligned_table(settings())); }},
      {"create_distributed_sql(database)", "identifier", E::kInert,
       [=](auto& v) {
         return create_distributed_sql(v, cl, "price_aligned", "price_aligned_local", "rand()");
       }},
      {"create_distributed_sql(cluster)", "CLICKHOUSE_CLUSTER", E::kRefuse,
       [=](auto& v) {
         return create_distributed_sql(db, v, "price_aligned", "price_aligned_local", "rand()");
       }},
      {"create_distributed_sql(table)", "identifier", E::kInert,
       [=](auto& v) { return create_distributed_sql(db, cl, v, "price_aligned_local", "rand()"); }},
      {"create_distributed_sql(local)", "identifier", E::kInert,
       [=](auto& v) { return create_distributed_sql(db, cl, "price_aligned", v, "rand()"); }},
      {"create_cluster_journal_sql(database)", "CLICKHOUSE_DB", E::kRefuse,
       [=](auto& v) { return joined(create_cluster_journal_sql(v, cl)); }},
      {"create_cluster_journal_sql(cluster)", "CLICKHOUSE_CLUSTER", E::kRefuse,
       [=](auto& v) { return joined(create_cluster_journal_sql(db, v)); }},
      {"create_staging_sql(database)", "CLICKHOUSE_DB", E::kRefuse,
       [=](auto& v) { return create_staging_sql(v, cl, "price_aligned", "price_aligned_promote_staging"); }},
      {"create_staging_sql(cluster)", "CLICKHOUSE_CLUSTER", E::kRefuse,
       [=](auto& v) { return create_staging_sql(db, v, "price_aligned", "price_aligned_promote_staging"); }},
      {"replicas_not_leading_sql(database)", "", E::kInert,
       [](auto& v) {
         return replicas_not_leading_sql(v, {"a", "b"});
       }},
      {"replicas_not_leading_sql(table)", "", E::kInert,
       [](auto& v) {
         return replicas_not_leading_sql("db", {"a", v});
       }},
      {"cluster_shards_sql(cluster)", "", E::kInert, [](auto& v) { return cluster_shards_sql(v); }},
      // runs_sql: list_runs, drop_run, promote_run
      {"partitions_sql(database)", "", E::kInert,
       [](auto& v) { return partitions_sql(v, run_tables(), ""); }},
      {"partitions_sql(table)", "", E::kInert, [](auto& v) { return partitions_sql("db", {v}, ""); }},
      {"partitions_sql(cluster)", "", E::kInert,
       [](auto& v) { return partitions_sql("db", run_tables(), v); }, true},
      {"last_inserts_sql(database)", "identifier", E::kInert,
       [](auto& v) { return last_inserts_sql(v, "t"); }},
      {"last_inserts_sql(table)", "identifier", E::kInert, [](auto& v) { return last_inserts_sql("db", v); }},
      {"drop_partition_sql(database)", "identifier", E::kInert,
       [](auto& v) { return drop_partition_sql(v, "t", "live", 202501); }},
      {"drop_partition_sql(table)", "identifier", E::kInert,
       [](auto& v) { return drop_partition_sql("db", v, "live", 202501); }},
      {"drop_partition_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return drop_partition_sql("db", "t", v, 202501); }},
      {"replace_partition_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return replace_partition_sql("db", "t", v, 202501, "s"); }},
      {"replace_partition_sql(from)", "identifier", E::kInert,
       [](auto& v) { return replace_partition_sql("db", "t", "live", 202501, v); }},
      {"count_month_sql(table)", "identifier", E::kInert,
       [](auto& v) { return count_month_sql("db", v, "live", 202501); }},
      {"count_month_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return count_month_sql("db", "t", v, 202501); }},
      {"create_staging_table_sql(staging)", "identifier", E::kInert,
       [](auto& v) { return create_staging_table_sql("db", v, "t"); }},
      {"create_staging_table_sql(database)", "identifier", E::kInert,
       [](auto& v) { return create_staging_table_sql(v, "s", "t"); }},
      {"copy_month_sql(database)", "identifier", E::kInert,
       [=](auto& v) {
         return copy_month_sql(v, "t", "s", {"run_id", "x"}, bf, live, 202501);
       }},
      {"copy_month_sql(column)", "identifier", E::kInert,
       [=](auto& v) {
         return copy_month_sql(db, "t", "s", {"run_id", v, "inserted_at"}, bf, live, 202501);
       }},
      {"copy_month_sql(source)", "run_id", E::kRefuse,
       [=](auto& v) {
         return copy_month_sql(db, "t", "s", {"run_id", "x"}, v, live, 202501);
       }},
      {"copy_month_sql(target)", "run_id", E::kRefuse,
       [=](auto& v) {
         return copy_month_sql(db, "t", "s", {"run_id", "x"}, bf, v, 202501);
       }},
      {"verify_counts_sql(table)", "identifier", E::kInert,
       [=](auto& v) { return verify_counts_sql(db, v, bf, live); }},
      {"verify_counts_sql(source)", "run_id", E::kRefuse,
       [=](auto& v) { return verify_counts_sql(db, "t", v, live); }},
      {"verify_counts_sql(target)", "run_id", E::kRefuse,
       [=](auto& v) { return verify_counts_sql(db, "t", bf, v); }},
      {"create_journal_sql(database)", "identifier", E::kInert,
       [](auto& v) { return create_journal_sql(v); }},
      {"next_promote_seq_sql(database)", "identifier", E::kInert,
       [](auto& v) { return next_promote_seq_sql(v, "live"); }},
      {"next_promote_seq_sql(target)", "run_id", E::kRefuse,
       [](auto& v) { return next_promote_seq_sql("db", v); }},
      {"journal_insert_sql(database)", "identifier", E::kInert,
       [=](auto& v) { return journal_insert_sql(v, promote(bf, live), "", PromotePhase::kStarted, 7); }},
      {"journal_insert_sql(source)", "run_id", E::kRefuse,
       [=](auto& v) { return journal_insert_sql(db, promote(v, live), "", PromotePhase::kStarted, 7); }},
      {"journal_insert_sql(target)", "run_id", E::kRefuse,
       [=](auto& v) { return journal_insert_sql(db, promote(bf, v), "", PromotePhase::kStarted, 7); }},
      {"journal_insert_sql(backup)", "run_id", E::kRefuse,
       [=](auto& v) { return journal_insert_sql(db, promote(bf, live), v, PromotePhase::kDone, 7); }, true},
      {"unfinished_promotes_sql(database)", "identifier", E::kInert,
       [](auto& v) { return unfinished_promotes_sql(v); }},
      // compare_runs
      {"compare_read_sql(database)", "identifier", E::kInert,
       [=](auto& v) {
         return compare_read_sql(v, "features_wide", {"mean"}, compare(live, bf, {}), CompareSide::kBase, {202501}, 2, 1);
       }},
      {"compare_read_sql(column)", "identifier", E::kInert,
       [=](auto& v) {
         return compare_read_sql(db, "price_aligned", {"price_new", v}, compare(live, bf, {}), CompareSide::kTarget,
                                 {202501}, 1, 0);
       }},
      {"compare_read_sql(base)", "--base", E::kRefuse,
       [=](auto& v) {
         return compare_read_sql(db, "features_wide", {"mean"}, compare(v, bf, {}), CompareSide::kTarget, {202501}, 1, 0);
       }},
      {"compare_read_sql(target)", "--target", E::kRefuse,
       [=](auto& v) {
         return compare_read_sql(db, "features_wide", {"mean"}, compare(live, v, {}), CompareSide::kBase, {202501}, 1, 0);
       }},
      {"compare_read_sql(scope)", "", E::kInert,
       [=](auto& v) {
         return compare_read_sql(db, "features_wide", {"mean"}, compare(live, bf, {"iphone:1", v}),
                                 CompareSide::kBase, {202501}, 1, 0);
       }},
      // api_queries
      {"count_bars_sql(database)", "identifier", E::kInert,
       [](auto& v) { return count_bars_sql(v, bars("live", "iphone:2")); }},
      {"count_bars_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return count_bars_sql("db", bars(v, "iphone:2")); }},
      {"count_bars_sql(scope)", "", E::kInert, [](auto& v) { return count_bars_sql("db", bars("live", v)); }},
      {"select_bars_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return select_bars_sql("db", bars(v, "iphone:2"), 10, 0); }},
      {"select_bars_sql(scope)", "", E::kInert,
       [](auto& v) { return select_bars_sql("db", bars("live", v), 10, 20); }},
      {"select_bars_sql(ordering)", "ordering", E::kRefuse,
       [](auto& v) {
         auto q = bars("live", "iphone:2");
         q.order = {{v == kBenign ? "mean" : v, false}};  // a field of the list has no other values
         return select_bars_sql("db", q, 10, 0);
       }},
      {"count_features_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return count_features_sql("db", features(v, "iphone:2", "sma_120")); }},
      {"count_features_sql(scope)", "", E::kInert,
       [](auto& v) { return count_features_sql("db", features("live", v, "sma_120")); }},
      {"select_features_sql(database)", "identifier", E::kInert,
       [](auto& v) { return select_features_sql(v, features("live", "iphone:2", "sma_120"), 10, 0); }},
      {"select_features_sql(scope)", "", E::kInert,
       [](auto& v) { return select_features_sql("db", features("live", v, "sma_120"), 10, 0); }},
      {"select_features_sql(name)", "identifier", E::kInert,
       [](auto& v) { return select_features_sql("db", features("live", "iphone:2", v), 10, 0); }},
      {"select_features_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return select_features_sql("db", features(v, "iphone:2", "sma_120"), 10, 0); }},
      {"count_prices_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return count_prices_sql("db", prices(v)); }},
      {"select_prices_sql(database)", "identifier", E::kInert,
       [](auto& v) { return select_prices_sql(v, prices("live"), 10, 0); }},
      {"select_prices_sql(run_id)", "run_id", E::kRefuse,
       [](auto& v) { return select_prices_sql("db", prices(v), 10, 0); }},
  };
  return c;
}

TEST(SqlSafety, EveryBuilderRefusesOrQuotesEveryHostileValue) {
  int refused = 0, quoted = 0;
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    std::string benign_sql;
    try {
      benign_sql = c.build(kBenign);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "refuses the benign value: " << e.what();
      continue;
    }
    for (const auto& value : hostile_values()) {
      if (value.empty() && c.empty_means_none) continue;
      SCOPED_TRACE(shown(value));
      std::string sql;
      try {
        sql = c.build(value);
      } catch (const InputError& e) {
        std::string message = e.what();
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        EXPECT_NE(message.find(c.param), std::string::npos) << "does not name " << c.param << ": " << message;
        EXPECT_LT(message.size(), 400u) << message.substr(0, 400);
        ++refused;
        continue;
      }
      EXPECT_EQ(c.expect, Expect::kInert) << "accepted: " << shown(sql.substr(0, 300));
      EXPECT_TRUE(inert(benign_sql, sql, value));
      ++quoted;
    }
  }
  // Both kinds of answer are exercised.
  EXPECT_GT(refused, 500);
  EXPECT_GT(quoted, 500);
}

// The lexer of the test itself: a value pasted without quoting shows up as changed tokens.
TEST(SqlSafety, TheCheckCatchesPastedValues) {
  auto pasted = [](const std::string& v) { return "SELECT 1 FROM t WHERE run_id = '" + v + "'"; };
  EXPECT_TRUE(inert(pasted(kBenign), pasted("bf1"), "bf1"));
  EXPECT_FALSE(inert(pasted(kBenign), pasted("x' OR 1=1 --"), "x' OR 1=1 --"));
  EXPECT_FALSE(inert(pasted(kBenign), pasted("a\\"), "a\\"));
  EXPECT_FALSE(inert(pasted(kBenign), pasted(std::string("a\0b", 3)), std::string("a\0b", 3)));
  auto bare = [](const std::string& v) { return "CREATE DATABASE IF NOT EXISTS " + v; };
  EXPECT_FALSE(inert(bare(kBenign), bare("x"), "x"));
  auto backquoted = [](const std::string& v) { return "SELECT 1 FROM `" + v + "`.t"; };
  EXPECT_FALSE(inert(backquoted(kBenign), backquoted("a`.`b"), "a`.`b"));
}

TEST(SqlSafety, IdentifiersAndLiteralsDecodeToTheExactBytes) {
  for (const auto& value : hostile_values()) {
    SCOPED_TRACE(shown(value));
    auto literal = lex(string_literal(value));
    ASSERT_EQ(literal.size(), 1u);
    EXPECT_EQ(literal[0], (Token{TokenKind::kString, value}));
    if (value.empty()) {
      EXPECT_THROW(identifier(value), InputError);
      continue;
    }
    auto name = lex(identifier(value));
    ASSERT_EQ(name.size(), 1u);
    EXPECT_EQ(name[0], (Token{TokenKind::kQuotedName, value}));
  }
}

// The cluster name read back from a Distributed table's engine_full is used only when it is a word.
TEST(SqlSafety, ClusterFromEngineIsAPlainWordOrNothing) {
  EXPECT_EQ(cluster_of_engine("Distributed(two_shards, db, price_aligned_local, intHash64(iphone_id))"),
            "two_shards");
  EXPECT_EQ(cluster_of_engine("Distributed('two_shards', 'db', 'price_aligned_local', intHash64(iphone_id))"),
            "two_shards");
  EXPECT_EQ(cluster_of_engine("Distributed(`c1`, `db`, `t`, rand())"), "c1");
  for (std::string full : {"Distributed(a b, db, t)", "Distributed('a\\'b', db, t)",
                           "Distributed(`a`.`b`, db, t)", "Distributed(, db, t)", "Distributed('', db, t)",
                           "Distributed(x;DROP, db, t)", "Distributed(a/b, db, t)", "MergeTree(x, y)",
                           "Distributed", "Distributed(abc)", "Distributed({cluster}, db, t)"}) {
    EXPECT_EQ(cluster_of_engine(full), std::nullopt) << full;
  }
}

}  // namespace
}  // namespace ypa::store
