// `ypa datagen` against a real PostgreSQL: determinism checked by PostgreSQL's own md5 over every row,
// realism checked with SQL over the loaded rows (bounds as in docs/datagen.md), refusal without
// --replace, a failed --replace that keeps the old rows, and bad input. Each test uses its own database.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "postgres/connection.hpp"
#include "postgres/source_schema.hpp"
#include "support/run_command.hpp"
#include "support/stack_env.hpp"

namespace ypa::testing {
namespace {

const postgres::SourceTables kTables;

std::string q(const std::string& table) {
  return postgres::quote_identifier(table);
}

// A database of its own, with the demo schema unless told otherwise; dropped at the end.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(bool with_schema = true) : name_(unique_name("datagen")) {
    postgres::Connection admin(postgres_conninfo());
    admin.exec("CREATE DATABASE " + name_);
    if (with_schema) {
      postgres::Connection conn = connect();
      postgres::create_source_schema(conn, kTables);
    }
  }
  ~ScratchDatabase() {
    try {
      postgres::Connection admin(postgres_conninfo());
      admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "dropping " << name_ << ": " << e.what();
    }
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  postgres::Connection connect() const { return postgres::Connection("dbname=" + name_); }
  CommandResult datagen(const std::vector<std::string>& args, std::vector<std::string> extra_env = {}) const {
    std::vector<std::string> argv{"datagen"};
    argv.insert(argv.end(), args.begin(), args.end());
    // DATABASE_URL wins over PG* (SPEC §11); libpq fills host, port and user from PG*. (An extra
    // PGDATABASE would not do: run_command appends to the environment, and the inherited value comes first.)
    extra_env.push_back("DATABASE_URL=dbname=" + name_);
    return run_ypa(argv, extra_env);
  }
  // One value from a query.
  std::string value(const std::string& sql) const {
    postgres::Connection conn = connect();
    auto r = conn.exec(sql);
    return r.rows() > 0 && !r.is_null(0, 0) ? std::string(r.text(0, 0)) : "NULL";
  }
  double number(const std::string& sql) const { return std::stod(value(sql)); }
  // md5 over every row of every generated table, in id order, computed by PostgreSQL.
  std::string checksum() const {
    std::string sql = "SELECT md5(";
    bool first = true;
    for (const std::string* t :
         {&kTables.shop, &kTables.iphone, &kTables.shop_weight_profile, &kTables.shop_weight_item,
          &kTables.cohort, &kTables.cohort_member, &kTables.price_record}) {
      sql += std::string(first ? "" : " || ") +
             "coalesce((SELECT string_agg(r::text, E'\\n' ORDER BY r.id) FROM " + q(*t) + " r), '')";
      first = false;
    }
    return value(sql + ")");
  }
  std::int64_t price_rows() const {
    return std::stoll(value("SELECT count(*) FROM " + q(kTables.price_record)));
  }

 private:
  std::string name_;
};

bool one_line(const std::string& text) {
  return !text.empty() && text.find('\n') == text.size() - 1;
}

// The stderr line of an error; progress lines (info) come before it.
std::string error_line(const CommandResult& r) {
  auto pos = r.err.find("ypa: error:");
  return pos == std::string::npos ? r.err : r.err.substr(pos);
}

TEST(DatagenTest, SameSeedSameRowsOtherSeedOtherRows) {
  const std::vector<std::string> args{"--shops", "8",          "--iphones", "40",
                                      "--from",  "2025-03-01", "--to",      "2025-03-02"};
  ScratchDatabase a;
  ScratchDatabase b;
  auto seed7 = args;
  seed7.insert(seed7.end(), {"--seed", "7"});
  auto r = a.datagen(seed7);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = b.datagen(seed7);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string checksum = a.checksum();
  EXPECT_EQ(checksum.size(), 32U);
  EXPECT_EQ(checksum, b.checksum());
  EXPECT_GT(a.price_rows(), 10000);

  // --replace with the same seed reproduces the rows exactly (ids restart); another seed does not.
  auto replace7 = seed7;
  replace7.push_back("--replace");
  r = b.datagen(replace7);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(b.checksum(), checksum);
  auto seed8 = args;
  seed8.insert(seed8.end(), {"--seed", "8", "--replace"});
  r = b.datagen(seed8);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(b.checksum(), checksum);
}

TEST(DatagenTest, RefusesTablesWithRowsUnlessReplace) {
  ScratchDatabase db;
  const std::vector<std::string> args{"--shops", "4",          "--iphones", "10",
                                      "--from",  "2025-03-01", "--to",      "2025-03-01"};
  auto r = db.datagen(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string before = db.checksum();

  r = db.datagen({"--shops", "5", "--iphones", "10", "--from", "2025-03-02", "--to", "2025-03-02"});
  EXPECT_EQ(r.exit_code, 2);
  const std::string line = error_line(r);
  EXPECT_TRUE(one_line(line)) << r.err;
  EXPECT_NE(line.find("already holds rows"), std::string::npos) << line;
  EXPECT_NE(line.find("AppleStockChecker_"), std::string::npos) << line;
  EXPECT_NE(line.find("--replace"), std::string::npos) << line;
  EXPECT_EQ(db.checksum(), before);
}

TEST(DatagenTest, FailedReplaceKeepsTheOldRows) {
  ScratchDatabase db;
  auto r = db.datagen({"--shops", "4", "--iphones", "10", "--from", "2025-03-01", "--to", "2025-03-01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string before = db.checksum();
  // A constraint the next load's x10 outliers violate, so the COPY fails halfway through.
  db.connect().exec(
      "ALTER TABLE " + q(kTables.price_record) +
      " ADD CONSTRAINT no_huge_prices CHECK (price_new IS NULL OR price_new < 500000) NOT VALID");
  r = db.datagen(
      {"--shops", "12", "--iphones", "80", "--from", "2025-03-01", "--to", "2025-03-03", "--replace"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(one_line(error_line(r))) << r.err;
  EXPECT_EQ(db.checksum(), before);
  // The indexes and foreign keys dropped for the load are back.
  EXPECT_EQ(db.value("SELECT count(*) FROM pg_indexes WHERE tablename = '" + kTables.price_record + "'"),
            "3");
  EXPECT_EQ(db.value("SELECT count(*) FROM pg_constraint WHERE conrelid = '" + q(kTables.price_record) +
                     "'::regclass AND contype = 'f'"),
            "2");
}

TEST(DatagenTest, BadInputIsOneLineExitTwoNothingWritten) {
  ScratchDatabase db;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--from", "2025-02-30", "--to", "2025-03-01"}, "--from"},
      {{"--from", "2025-1-1", "--to", "2025-03-01"}, "--from"},
      {{"--from", "2025-03-02", "--to", "2025-03-01"}, "after"},
      {{"--from", "2025-03-01", "--to", "2025-03-01", "--shops", "0"}, "--shops"},
      {{"--from", "2025-03-01", "--to", "2025-03-01", "--iphones", "100000"}, "--iphones"},
      {{"--from", "2025-03-01", "--to", "2025-03-01", "--shops", "many"}, "--shops"},
      {{"--from", "2025-03-01"}, "--to"},
  };
  for (const auto& [args, needle] : cases) {
    auto r = db.datagen(args);
    EXPECT_EQ(r.exit_code, 2) << needle;
    EXPECT_TRUE(one_line(r.err)) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  }
  auto r = db.datagen({"--from", "2025-03-01", "--to", "2025-03-01"}, {"PIPELINE_TZ=Mars/Olympus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Mars/Olympus"), std::string::npos) << r.err;
  EXPECT_EQ(db.price_rows(), 0);
  EXPECT_EQ(db.value("SELECT count(*) FROM " + q(kTables.shop)), "0");
}

TEST(DatagenTest, UnreachableServerAndMissingTables) {
  ScratchDatabase db;
  auto r = run_ypa({"datagen", "--from", "2025-03-01", "--to", "2025-03-01"},
                   {"DATABASE_URL=host=127.0.0.1 port=1 dbname=nowhere connect_timeout=5"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("PostgreSQL unreachable"), std::string::npos) << r.err;

  ScratchDatabase empty(/*with_schema=*/false);
  r = empty.datagen({"--from", "2025-03-01", "--to", "2025-03-01"});
  EXPECT_EQ(r.exit_code, 2);
  const std::string line = error_line(r);
  EXPECT_TRUE(one_line(line)) << r.err;
  EXPECT_NE(line.find("ypa init --source-schema"), std::string::npos) << line;
  EXPECT_EQ(empty.value("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "0");
}

// Two days of the default shape (24 shops x 160 iPhones, about 520,000 rows), loaded once.
class DatagenRealismTest : public ::testing::Test {
 protected:
  static constexpr int kDays = 2;
  static void SetUpTestSuite() {
    db_ = std::make_unique<ScratchDatabase>();
    result_ = db_->datagen({"--from", "2025-01-01", "--to", "2025-01-02", "--seed", "42"});
  }
  static void TearDownTestSuite() { db_.reset(); }
  void SetUp() override { ASSERT_EQ(result_.exit_code, 0) << result_.err; }

  static double number(const std::string& sql) { return db_->number(sql); }
  static std::string prices() { return q(kTables.price_record); }
  // Distinct scrapes: (shop, recorded_at) pairs, with the scrape's offset into its quarter hour.
  static std::string scrapes() {
    return "(SELECT DISTINCT shop_id, recorded_at, extract(epoch FROM recorded_at)::numeric % 900 AS "
           "offset_s FROM " +
           prices() + ") s";
  }

  static inline std::unique_ptr<ScratchDatabase> db_;
  static inline CommandResult result_;
};

TEST_F(DatagenRealismTest, SummaryMatchesTheTables) {
  EXPECT_NE(result_.out.find("price records"), std::string::npos) << result_.out;
  EXPECT_NE(result_.out.find(std::to_string(db_->price_rows())), std::string::npos) << result_.out;
  EXPECT_NE(result_.err.find("2025-01-02 done"), std::string::npos) << result_.err;  // progress per day
  EXPECT_EQ(db_->value("SELECT count(*) FROM " + q(kTables.shop)), "24");
  EXPECT_EQ(db_->value("SELECT count(*) FROM " + q(kTables.iphone)), "160");
  EXPECT_EQ(db_->value("SELECT count(*) FROM " + q(kTables.cohort_member) + " WHERE weight <= 0"), "0");
  EXPECT_EQ(db_->value("SELECT count(DISTINCT weight) FILTER (WHERE weight IN (0, 2)) FROM " +
                       q(kTables.shop_weight_item)),
            "2");
  EXPECT_EQ(
      db_->value("SELECT count(*) FROM " + q(kTables.cohort) + " WHERE shop_weight_profile_id IS NOT NULL"),
      "1");
  // Sequences continue after the generated ids.
  EXPECT_EQ(db_->value("SELECT nextval(pg_get_serial_sequence('" + prices() +
                       "', 'id')) = max(id) + 1 FROM " + prices()),
            "t");
}

TEST_F(DatagenRealismTest, AllWithinTheTokyoDays) {
  EXPECT_EQ(
      db_->value(
          "SELECT min(recorded_at) >= '2025-01-01 00:00+09' AND max(recorded_at) < '2025-01-03 00:00+09' "
          "FROM " +
          prices()),
      "t");
}

TEST_F(DatagenRealismTest, RowsPerShopPerDay) {
  const std::string per_day =
      "(SELECT shop_id, (recorded_at AT TIME ZONE 'Asia/Tokyo')::date AS day, count(*) AS n "
      "FROM " +
      prices() + " GROUP BY 1, 2) d";
  EXPECT_EQ(number("SELECT count(*) FROM " + per_day), 24 * kDays);
  EXPECT_GE(number("SELECT min(n) FROM " + per_day), 5000);
  EXPECT_LE(number("SELECT max(n) FROM " + per_day), 14500);
}

TEST_F(DatagenRealismTest, MissedScrapesAndQuarterHourRhythm) {
  const double scheduled = 24.0 * 96 * kDays;
  const double missed = 1.0 - number("SELECT count(*) FROM " + scrapes()) / scheduled;
  EXPECT_GE(missed, 0.01);
  EXPECT_LE(missed, 0.06);
  // At least 90% of a shop's consecutive scrapes are 14 to 16 minutes apart.
  EXPECT_GE(number("SELECT avg((gap BETWEEN 840 AND 960)::int) FROM (SELECT extract(epoch FROM recorded_at - "
                   "lag(recorded_at) OVER (PARTITION BY shop_id ORDER BY recorded_at)) AS gap FROM " +
                   scrapes() + ") g WHERE gap IS NOT NULL"),
            0.90);
}

TEST_F(DatagenRealismTest, ScrapesStaggeredOverTheQuarterHour) {
  // Two scrapes at a time, 12 pairs of shops: every 75-second slot of the quarter hour holds 5-15% of them.
  const std::string slots =
      "(SELECT floor(offset_s / 75) AS slot, count(*)::float / sum(count(*)) OVER () AS share "
      "FROM " +
      scrapes() + " GROUP BY 1) t";
  EXPECT_EQ(number("SELECT count(*) FROM " + slots), 12);
  EXPECT_GE(number("SELECT min(share) FROM " + slots), 0.05);
  EXPECT_LE(number("SELECT max(share) FROM " + slots), 0.15);
}

TEST_F(DatagenRealismTest, ScrapesListASubsetOfTheShopsSkus) {
  const double per_scrape =
      number("SELECT count(*) FROM " + prices()) / number("SELECT count(*) FROM " + scrapes());
  EXPECT_GE(per_scrape, 0.5 * 160);
  EXPECT_LE(per_scrape, 0.95 * 160);
  EXPECT_GE(number("SELECT count(*) FROM (SELECT shop_id FROM " + prices() +
                   " GROUP BY 1 HAVING count(DISTINCT iphone_id) < 160) s"),
            20);
}

TEST_F(DatagenRealismTest, InvalidOutlierAndNullShares) {
  const double rows = number("SELECT count(*) FROM " + prices());
  auto share = [&](const std::string& where) {
    return number("SELECT count(*) FROM " + prices() + " WHERE " + where) / rows;
  };
  EXPECT_GE(share("price_new IS NULL OR price_new <= 0"), 0.0005);
  EXPECT_LE(share("price_new IS NULL OR price_new <= 0"), 0.002);
  EXPECT_GT(share("price_new = 0"), 0);
  EXPECT_GT(share("price_new IS NULL"), 0);
  EXPECT_GE(share("price_grade_a IS NULL"), 0.15);
  EXPECT_LE(share("price_grade_a IS NULL"), 0.60);
  EXPECT_GE(share("price_grade_b IS NULL"), 0.25);
  EXPECT_LE(share("price_grade_b IS NULL"), 0.75);

  // Gross outliers: more than 5x or under 0.2x the iPhone's median; everything else close to it.
  const std::string ratios =
      "(SELECT p.price_new / m.median AS ratio FROM " + prices() +
      " p JOIN (SELECT iphone_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY price_new) AS "
      "median FROM " +
      prices() + " WHERE price_new > 0 GROUP BY 1) m USING (iphone_id) WHERE p.price_new > 0) r";
  const double outliers = number("SELECT count(*) FROM " + ratios + " WHERE ratio > 5 OR ratio < 0.2") / rows;
  EXPECT_GE(outliers, 0.0001);
  EXPECT_LE(outliers, 0.0015);
  EXPECT_EQ(number("SELECT count(*) FROM " + ratios +
                   " WHERE ratio BETWEEN 0.2 AND 0.75 OR ratio BETWEEN 1.3 AND 5"),
            0);
  // Prices in yen: tens of thousands to a little over 200,000 for the typical quote of each SKU.
  EXPECT_GE(
      number("SELECT min(m) FROM (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY price_new) AS m FROM " +
             prices() + " WHERE price_new > 0 GROUP BY iphone_id) t"),
      20000);
  EXPECT_LE(
      number("SELECT max(m) FROM (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY price_new) AS m FROM " +
             prices() + " WHERE price_new > 0 GROUP BY iphone_id) t"),
      260000);
}

TEST_F(DatagenRealismTest, DuplicateTimestampsPresentButRare) {
  const double rows = number("SELECT count(*) FROM " + prices());
  const double duplicates =
      rows - number("SELECT count(*) FROM (SELECT DISTINCT shop_id, iphone_id, recorded_at FROM " + prices() +
                    ") d");
  EXPECT_GT(duplicates, 0);
  EXPECT_LE(duplicates / rows, 0.003);
}

}  // namespace
}  // namespace ypa::testing
