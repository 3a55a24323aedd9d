// The price-record generator without a database: determinism, and realism statistics over the rows it
// produces, within the bounds docs/datagen.md states (the integration test checks the same in SQL).
#include "datagen/generator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "core/errors.hpp"

namespace ypa::datagen {
namespace {

class CollectingSink : public RecordSink {
 public:
  void add(const PriceRecord& record) override { rows.push_back(record); }
  std::vector<PriceRecord> rows;
};

// FNV-1a over every field, NULLs included.
class HashingSink : public RecordSink {
 public:
  void add(const PriceRecord& r) override {
    mix(r.id);
    mix(r.shop_id);
    mix(r.iphone_id);
    for (const auto& p : {r.price_new, r.price_grade_a, r.price_grade_b}) mix(p ? *p : -1);
    mix(r.recorded_at_us);
  }
  std::uint64_t hash = 0xcbf29ce484222325ULL;

 private:
  void mix(std::int64_t v) {
    for (int i = 0; i < 8; ++i) {
      hash ^= static_cast<std::uint64_t>(v >> (8 * i)) & 0xff;
      hash *= 0x100000001b3ULL;
    }
  }
};

GeneratorOptions options(int days, std::uint64_t seed = 1, int shops = 24, int iphones = 160) {
  GeneratorOptions o;
  o.shops = shops;
  o.iphones = iphones;
  o.first_day = {2025, 1, 1};
  o.last_day = {2025, 1, days};
  o.seed = seed;
  return o;
}

std::uint64_t hash_of(const GeneratorOptions& o) {
  HashingSink sink;
  generate_prices(o, build_catalogue(o.shops, o.iphones), sink);
  return sink.hash;
}

TEST(GeneratorTest, SameSeedSameRowsOtherSeedOtherRows) {
  EXPECT_EQ(hash_of(options(1, 7)), hash_of(options(1, 7)));
  EXPECT_NE(hash_of(options(1, 7)), hash_of(options(1, 8)));
}

TEST(GeneratorTest, LaterDaysOnlyAppend) {
  CollectingSink one;
  CollectingSink two;
  auto o1 = options(1, 3, 6, 20);
  auto o2 = options(2, 3, 6, 20);
  generate_prices(o1, build_catalogue(6, 20), one);
  generate_prices(o2, build_catalogue(6, 20), two);
  ASSERT_GT(two.rows.size(), one.rows.size());
  for (std::size_t i = 0; i < one.rows.size(); ++i) {
    ASSERT_EQ(one.rows[i].id, two.rows[i].id);
    ASSERT_EQ(one.rows[i].price_new, two.rows[i].price_new);
    ASSERT_EQ(one.rows[i].recorded_at_us, two.rows[i].recorded_at_us);
  }
}

TEST(GeneratorTest, BadOptionsAreInputErrors) {
  auto o = options(1);
  o.shops = 0;
  EXPECT_THROW(validate(o), InputError);
  o = options(1);
  o.iphones = max_iphones() + 1;
  EXPECT_THROW(validate(o), InputError);
  o = options(1);
  o.first_day = {2025, 1, 2};
  EXPECT_THROW(validate(o), InputError);
  o = options(1);
  o.time_zone = "Mars/Olympus";
  EXPECT_THROW(validate(o), InputError);
}

// Realism over two days of the default shape (24 shops x 160 iPhones, about 530,000 rows), generated
// once for all the cases below.
struct Generated {
  std::vector<PriceRecord> rows;
  GenerationStats stats;
};

const Generated& generated() {
  static const Generated data = [] {
    auto o = options(2);
    CollectingSink sink;
    Generated g;
    g.stats = generate_prices(o, build_catalogue(o.shops, o.iphones), sink);
    g.rows = std::move(sink.rows);
    return g;
  }();
  return data;
}

class GeneratorRealismTest : public ::testing::Test {
 protected:
  static constexpr int kDays = 2;
  const std::vector<PriceRecord>& rows() const { return generated().rows; }
  static std::int64_t tokyo_day(std::int64_t us) { return (us / 1'000'000 + 9 * 3600) / 86400; }
  static bool faulty(const PriceRecord& r) { return !r.price_new || *r.price_new <= 0; }
  const GenerationStats& stats_ = generated().stats;
};

TEST_F(GeneratorRealismTest, IdsAscendAndTimesDoNotGoBack) {
  ASSERT_EQ(static_cast<std::int64_t>(rows().size()), stats_.records);
  for (std::size_t i = 0; i < rows().size(); ++i) {
    ASSERT_EQ(rows()[i].id, static_cast<std::int64_t>(i) + 1);
    if (i > 0) {
      ASSERT_GE(rows()[i].recorded_at_us, rows()[i - 1].recorded_at_us);
    }
  }
  // All inside the two Tokyo days.
  EXPECT_EQ(tokyo_day(rows().front().recorded_at_us), tokyo_day(1735657200LL * 1'000'000));
  EXPECT_EQ(tokyo_day(rows().back().recorded_at_us), tokyo_day(1735657200LL * 1'000'000) + kDays - 1);
}

TEST_F(GeneratorRealismTest, RowsPerShopPerDay) {
  std::map<std::pair<std::int64_t, std::int64_t>, int> per_shop_day;
  for (const auto& r : rows()) ++per_shop_day[{r.shop_id, tokyo_day(r.recorded_at_us)}];
  EXPECT_EQ(per_shop_day.size(), 24U * kDays);
  for (const auto& [key, count] : per_shop_day) {
    EXPECT_GE(count, 5000) << "shop " << key.first;
    EXPECT_LE(count, 14500) << "shop " << key.first;
  }
}

TEST_F(GeneratorRealismTest, ScrapesEveryQuarterHourStaggeredInPairs) {
  std::map<std::int64_t, std::set<std::int64_t>> scrapes;  // shop -> scrape times
  for (const auto& r : rows()) scrapes[r.shop_id].insert(r.recorded_at_us);
  const std::int64_t scheduled = 24LL * 96 * kDays;
  std::int64_t happened = 0;
  std::vector<int> per_slot(12, 0);
  std::int64_t gaps = 0;
  std::int64_t regular_gaps = 0;
  for (const auto& [shop, times] : scrapes) {
    happened += static_cast<std::int64_t>(times.size());
    std::int64_t previous = -1;
    for (auto t : times) {
      ++per_slot[static_cast<std::size_t>((t / 1'000'000) % 900 / 75)];
      if (previous >= 0) {
        ++gaps;
        auto gap = (t - previous) / 1'000'000;
        regular_gaps += gap >= 840 && gap <= 960 ? 1 : 0;
      }
      previous = t;
    }
  }
  const double missed = 1.0 - static_cast<double>(happened) / static_cast<double>(scheduled);
  EXPECT_GE(missed, 0.01);
  EXPECT_LE(missed, 0.06);
  EXPECT_EQ(stats_.scrapes, happened);
  EXPECT_EQ(stats_.scrapes + stats_.missed_scrapes, scheduled);
  // Twelve pairs of shops: every 75-second slot of the quarter hour holds 5-15% of the scrapes.
  for (int count : per_slot) {
    EXPECT_GE(count, happened * 5 / 100);
    EXPECT_LE(count, happened * 15 / 100);
  }
  // About every 15 minutes: at least 90% of consecutive scrapes of a shop are 14-16 minutes apart.
  EXPECT_GE(static_cast<double>(regular_gaps) / static_cast<double>(gaps), 0.90);
}

TEST_F(GeneratorRealismTest, EachScrapeListsASubsetOfTheShopsSkus) {
  std::map<std::int64_t, std::set<std::int64_t>> carried;
  std::map<std::pair<std::int64_t, std::int64_t>, int> per_scrape;
  for (const auto& r : rows()) {
    carried[r.shop_id].insert(r.iphone_id);
    ++per_scrape[{r.shop_id, r.recorded_at_us}];
  }
  int partial_shops = 0;
  for (const auto& [shop, skus] : carried) partial_shops += skus.size() < 160 ? 1 : 0;
  EXPECT_GE(partial_shops, 20);
  double mean_listed = static_cast<double>(rows().size()) / static_cast<double>(per_scrape.size());
  EXPECT_GE(mean_listed, 0.5 * 160);
  EXPECT_LE(mean_listed, 0.95 * 160);
}

TEST_F(GeneratorRealismTest, FaultSharesWithinBounds) {
  auto share = [this](std::int64_t k) { return static_cast<double>(k) / static_cast<double>(rows().size()); };
  std::int64_t zero = 0;
  std::int64_t null = 0;
  std::int64_t a_null = 0;
  std::int64_t b_null = 0;
  std::map<std::int64_t, std::vector<std::int32_t>> prices;  // per iPhone
  for (const auto& r : rows()) {
    zero += r.price_new && *r.price_new == 0 ? 1 : 0;
    null += r.price_new ? 0 : 1;
    a_null += r.price_grade_a ? 0 : 1;
    b_null += r.price_grade_b ? 0 : 1;
    if (!faulty(r)) prices[r.iphone_id].push_back(*r.price_new);
  }
  EXPECT_EQ(zero, stats_.invalid_zero);
  EXPECT_EQ(null, stats_.invalid_null);
  EXPECT_GE(share((zero + null)), 0.0005);
  EXPECT_LE(share((zero + null)), 0.002);
  EXPECT_GT(zero, 0);
  EXPECT_GT(null, 0);
  EXPECT_GE(share(a_null), 0.15);
  EXPECT_LE(share(a_null), 0.60);
  EXPECT_GE(share(b_null), 0.25);
  EXPECT_LE(share(b_null), 0.75);

  // Gross outliers: more than 5x or less than 0.2x the iPhone's median price.
  std::map<std::int64_t, std::int32_t> median;
  for (auto& [id, p] : prices) {
    std::nth_element(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(p.size() / 2), p.end());
    median[id] = p[p.size() / 2];
    EXPECT_GE(median[id], 20000) << "iPhone " << id;
    EXPECT_LE(median[id], 260000) << "iPhone " << id;
  }
  std::int64_t outliers = 0;
  for (const auto& r : rows()) {
    if (faulty(r)) continue;
    const double ratio = static_cast<double>(*r.price_new) / median[r.iphone_id];
    if (ratio > 5 || ratio < 0.2) {
      ++outliers;
    } else {
      ASSERT_GT(ratio, 0.75) << "id " << r.id;
      ASSERT_LT(ratio, 1.3) << "id " << r.id;
    }
  }
  EXPECT_EQ(outliers, stats_.outliers);
  EXPECT_GE(share(outliers), 0.0001);
  EXPECT_LE(share(outliers), 0.0015);
}

TEST_F(GeneratorRealismTest, GradePricesSitBelowNew) {
  for (const auto& r : rows()) {
    if (faulty(r) || !r.price_grade_a) continue;
    if (*r.price_new > 2 * *r.price_grade_a || *r.price_new * 2 < *r.price_grade_a) continue;  // outlier row
    ASSERT_LE(*r.price_grade_a, *r.price_new) << "id " << r.id;
    if (r.price_grade_b) {
      ASSERT_LE(*r.price_grade_b, *r.price_grade_a) << "id " << r.id;
    }
  }
}

TEST_F(GeneratorRealismTest, SomeDuplicateTimestamps) {
  std::set<std::tuple<std::int64_t, std::int64_t, std::int64_t>> seen;
  std::int64_t duplicates = 0;
  for (const auto& r : rows()) {
    if (!seen.insert({r.shop_id, r.iphone_id, r.recorded_at_us}).second) ++duplicates;
  }
  EXPECT_EQ(duplicates, stats_.duplicates);
  EXPECT_GT(duplicates, 0);
  EXPECT_LE(static_cast<double>(duplicates) / static_cast<double>(rows().size()), 0.003);
}

TEST_F(GeneratorRealismTest, ShopsPayDifferentLevels) {
  // Each shop's median ratio to the iPhone's cross-shop median: some shops pay more than others.
  std::map<std::int64_t, std::vector<std::int32_t>> per_iphone;
  for (const auto& r : rows()) {
    if (!faulty(r)) per_iphone[r.iphone_id].push_back(*r.price_new);
  }
  std::map<std::int64_t, double> median;
  for (auto& [id, p] : per_iphone) {
    std::nth_element(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(p.size() / 2), p.end());
    median[id] = p[p.size() / 2];
  }
  std::map<std::int64_t, std::vector<double>> ratios;
  for (const auto& r : rows()) {
    if (!faulty(r)) ratios[r.shop_id].push_back(*r.price_new / median[r.iphone_id]);
  }
  double lowest = 10;
  double highest = 0;
  for (auto& [shop, v] : ratios) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    lowest = std::min(lowest, v[v.size() / 2]);
    highest = std::max(highest, v[v.size() / 2]);
  }
  EXPECT_GE(highest - lowest, 0.03);
  EXPECT_LE(highest - lowest, 0.20);
}

}  // namespace
}  // namespace ypa::datagen

namespace ypa::datagen {
namespace {

// Injected failures (docs/datagen.md): the rows of the same seed without injections, minus the silent
// shop's rows in its hours and the odd iPhones of the shop that drops half, with the x10 shop's valid
// prices times ten on its day; every other row unchanged.
TEST(GeneratorInjectionTest, ChangesExactlyTheInjectedRows) {
  TimeZone tokyo("Asia/Tokyo");
  GeneratorOptions clean = options(3, 5, 6, 12);
  GeneratorOptions broken = clean;
  broken.injections = {parse_injection(Injection::Kind::kSilent, "3,2025-01-02T09:00,6", tokyo),
                       parse_injection(Injection::Kind::kTimes10, "2,2025-01-02", tokyo),
                       parse_injection(Injection::Kind::kDropHalf, "5,2025-01-02T12:00", tokyo)};
  CollectingSink a, b;
  generate_prices(clean, build_catalogue(6, 12), a);
  auto stats = generate_prices(broken, build_catalogue(6, 12), b);
  const std::int64_t silent_begin = tokyo.from_local({2025, 1, 2, 9, 0, 0}) * 1'000'000;
  const std::int64_t silent_end = silent_begin + 6 * 3600 * 1'000'000LL;
  const std::int64_t day_begin = tokyo.from_local({2025, 1, 2, 0, 0, 0}) * 1'000'000;
  const std::int64_t day_end = tokyo.from_local({2025, 1, 3, 0, 0, 0}) * 1'000'000;
  const std::int64_t drop_begin = tokyo.from_local({2025, 1, 2, 12, 0, 0}) * 1'000'000;
  std::vector<PriceRecord> expected;
  std::int64_t dropped = 0, x10 = 0;
  for (PriceRecord r : a.rows) {
    const std::int64_t t = r.recorded_at_us;
    if ((r.shop_id == 3 && t >= silent_begin && t < silent_end) ||
        (r.shop_id == 5 && t >= drop_begin && r.iphone_id % 2 == 1)) {
      ++dropped;
      continue;
    }
    if (r.shop_id == 2 && t >= day_begin && t < day_end) {
      for (auto* p : {&r.price_new, &r.price_grade_a, &r.price_grade_b}) {
        if (*p && **p > 0) **p = **p * 10;
      }
      ++x10;
    }
    expected.push_back(r);
  }
  EXPECT_GT(dropped, 100);
  EXPECT_GT(x10, 100);
  EXPECT_EQ(stats.injected_dropped, dropped);
  EXPECT_EQ(stats.injected_x10, x10);
  EXPECT_EQ(stats.records, static_cast<std::int64_t>(expected.size()));
  ASSERT_EQ(b.rows.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& x = expected[i];
    const auto& y = b.rows[i];
    ASSERT_TRUE(x.id == y.id && x.shop_id == y.shop_id && x.iphone_id == y.iphone_id && x.price_new == y.price_new &&
                x.price_grade_a == y.price_grade_a && x.price_grade_b == y.price_grade_b &&
                x.recorded_at_us == y.recorded_at_us)
        << "row " << i;
  }
}

TEST(GeneratorInjectionTest, BadValuesAreInputErrorsNamingTheFlag) {
  TimeZone tokyo("Asia/Tokyo");
  const std::vector<std::pair<Injection::Kind, const char*>> bad{
      {Injection::Kind::kSilent, "3,2025-01-02T09:00"},  {Injection::Kind::kSilent, "3,2025-01-02,6"},
      {Injection::Kind::kSilent, "3,2025-01-02T24:00,6"}, {Injection::Kind::kSilent, "3,2025-01-02T09:00,0"},
      {Injection::Kind::kSilent, "0,2025-01-02T09:00,6"}, {Injection::Kind::kTimes10, "2,2025-01-02T09:00"},
      {Injection::Kind::kTimes10, "2,2025-02-30"},        {Injection::Kind::kTimes10, "two,2025-01-02"},
      {Injection::Kind::kDropHalf, "5"},                  {Injection::Kind::kDropHalf, "5,2025-01-02T12:7"},
  };
  for (const auto& [kind, text] : bad) {
    try {
      parse_injection(kind, text, tokyo);
      ADD_FAILURE() << text << " was accepted";
    } catch (const InputError& e) {
      std::string what = e.what();
      EXPECT_EQ(what.rfind(injection_flag(kind), 0), 0u) << what;
      EXPECT_NE(what.find(text), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
  GeneratorOptions o = options(2, 1, 6, 12);
  o.injections = {parse_injection(Injection::Kind::kTimes10, "7,2025-01-01", tokyo)};
  EXPECT_THROW(validate(o), InputError);
}

}  // namespace
}  // namespace ypa::datagen

namespace ypa::datagen {
namespace {

// Per shop: the longest run of quarter hours without a scrape, and the last scrape before the first run
// of four or more (microseconds; absent without one).
struct Gaps {
  std::int64_t longest = 0;
  std::optional<std::int64_t> before_first_long;
};

std::map<std::int64_t, Gaps> gaps_of(const std::vector<PriceRecord>& rows) {
  std::map<std::int64_t, std::set<std::int64_t>> times;
  for (const auto& r : rows) times[r.shop_id].insert(r.recorded_at_us);
  std::map<std::int64_t, Gaps> out;
  for (const auto& [shop, t] : times) {
    Gaps& g = out[shop];
    std::int64_t previous_slot = -1, previous_us = 0;
    for (auto us : t) {
      const std::int64_t slot = us / 1'000'000 / Rates::kSlotSeconds;  // a scrape lies inside its quarter hour
      const std::int64_t missed = previous_slot < 0 ? 0 : slot - previous_slot - 1;
      g.longest = std::max(g.longest, missed);
      if (missed >= 4 && !g.before_first_long) g.before_first_long = previous_us;
      previous_slot = slot;
      previous_us = us;
    }
  }
  return out;
}

// --no-outages (docs/datagen.md): no shop misses four quarter hours in a row, where the same seed with
// outages has shops that do (1-4 hours); single misses stay at about 2.5 %; the other shops keep every
// row (time, iPhone, prices) and the shops with an outage theirs up to it.
TEST(GeneratorOutageTest, ACleanSetHasNoOutagesAndOtherwiseTheSameRows) {
  GeneratorOptions with = options(8, 5, 24, 10);
  GeneratorOptions without = with;
  without.outages = false;
  CollectingSink a, b;
  generate_prices(with, build_catalogue(24, 10), a);
  const auto stats = generate_prices(without, build_catalogue(24, 10), b);

  const auto gaps_with = gaps_of(a.rows);
  std::size_t shops_with_outage = 0;
  for (const auto& [shop, g] : gaps_with) shops_with_outage += g.before_first_long ? 1 : 0;
  EXPECT_GE(shops_with_outage, 3U) << "8 days x 24 shops at 5 % of shop-days: about 10 outages";
  for (const auto& [shop, g] : gaps_of(b.rows)) EXPECT_LE(g.longest, 3) << "shop " << shop;

  const double missed = static_cast<double>(stats.missed_scrapes) / (24.0 * 96 * 8);
  EXPECT_GE(missed, 0.015);
  EXPECT_LE(missed, 0.035);

  using Row = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::optional<std::int32_t>,
                         std::optional<std::int32_t>, std::optional<std::int32_t>>;
  auto kept = [&](const std::vector<PriceRecord>& rows) {
    std::vector<Row> out;
    for (const auto& r : rows) {
      const auto& outage = gaps_with.at(r.shop_id).before_first_long;
      if (outage && r.recorded_at_us > *outage) continue;
      out.emplace_back(r.shop_id, r.recorded_at_us, r.iphone_id, r.price_new, r.price_grade_a, r.price_grade_b);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto kept_with = kept(a.rows);
  EXPECT_GT(kept_with.size(), a.rows.size() * 3 / 4);
  EXPECT_TRUE(kept_with == kept(b.rows));
}

}  // namespace
}  // namespace ypa::datagen
