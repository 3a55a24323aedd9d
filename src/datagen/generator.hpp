// The price-record generator: scrape schedule, per-SKU price random walks and shop quotes, with the
// faults real scraped data has (missed scrapes, outliers, invalid and NULL prices, duplicates). Rows go
// to a RecordSink in id order, so the generator runs without a database (see docs/datagen.md).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "datagen/catalogue.hpp"

namespace ypa::datagen {

// A scraper failure written into the data on purpose (docs/datagen.md, "Injected failures"): from
// begin_us (inclusive) to end_us (exclusive), Unix microseconds.
struct Injection {
  enum class Kind { kSilent, kTimes10, kDropHalf };
  Kind kind = Kind::kSilent;
  std::int64_t shop_id = 0;
  std::int64_t begin_us = 0;
  std::int64_t end_us = 0;
};

// Parses a flag's value in the zone: --inject-silent SHOP,YYYY-MM-DDTHH:MM,HOURS (no records for HOURS
// hours), --inject-x10 SHOP,YYYY-MM-DD (every price ten times too high that day), --inject-drop-half
// SHOP,YYYY-MM-DD[THH:MM] (from then on no records of the iPhones with an odd id). Throws InputError
// naming the flag and the value.
Injection parse_injection(Injection::Kind kind, std::string_view text, const TimeZone& zone);
// The flag a kind comes from ("--inject-silent", ...).
const char* injection_flag(Injection::Kind kind);

struct GeneratorOptions {
  int shops = 24;
  int iphones = 160;
  LocalDateTime first_day;  // calendar dates in time_zone, both inclusive
  LocalDateTime last_day;
  std::string time_zone = "Asia/Tokyo";
  std::uint64_t seed = 1;
  std::vector<Injection> injections;  // applied to the generated rows; the other rows stay as they are
  // The outages of 1-4 hours (5 % of shop-days). Off (--no-outages) for a clean set: each shop then
  // misses only single scrapes at random (2.5 %), so no shop is silent long enough to be a finding.
  bool outages = true;
};

// Checks the options (shop and SKU counts, dates in order, a known zone); throws InputError naming the
// flag. build_catalogue and generate_prices call it too.
void validate(const GeneratorOptions& options);

// One row of the price record table.
struct PriceRecord {
  std::int64_t id = 0;
  std::int64_t shop_id = 0;
  std::int64_t iphone_id = 0;
  std::optional<std::int32_t> price_new;
  std::optional<std::int32_t> price_grade_a;
  std::optional<std::int32_t> price_grade_b;
  std::int64_t recorded_at_us = 0;  // Unix microseconds (UTC)
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void add(const PriceRecord& record) = 0;
};

struct GenerationStats {
  int days = 0;
  std::int64_t records = 0;
  std::int64_t scrapes = 0;         // scrapes that happened (each lists one or more SKUs)
  std::int64_t missed_scrapes = 0;  // scheduled scrapes that are absent: random misses and outages
  std::int64_t outliers = 0;        // price_new x10 or x0.1
  std::int64_t invalid_zero = 0;    // price_new = 0
  std::int64_t invalid_null = 0;    // price_new NULL
  std::int64_t duplicates = 0;      // extra rows repeating (shop, iphone, recorded_at) of the row before
  std::int64_t grade_a_null = 0;
  std::int64_t grade_b_null = 0;
  std::int64_t injected_dropped = 0;  // rows removed by --inject-silent / --inject-drop-half
  std::int64_t injected_x10 = 0;      // rows with prices x10 by --inject-x10
};

// Progress after each generated day: the day (local date) and the totals so far.
using DayCallback = std::function<void(const LocalDateTime& day, const GenerationStats& so_far)>;

// Writes every price record of the options' days to `sink`, ids 1, 2, ... in recorded_at order. The
// rows depend only on the options: the same options give the same rows everywhere, and the rows of a
// day do not depend on later days (--to only appends).
GenerationStats generate_prices(const GeneratorOptions& options, const Catalogue& catalogue, RecordSink& sink,
                                const DayCallback& on_day = {});

// Rates the generator uses, exposed for tests and docs.
struct Rates {
  static constexpr double kMissedScrape = 0.025;  // plus outages: 5% of shop-days lose 1-4 hours
  static constexpr double kOutageShopDay = 0.05;
  static constexpr double kOutlier = 0.0005;
  static constexpr double kInvalid = 0.001;  // half price_new = 0, half NULL
  static constexpr double kDuplicate = 0.001;
  static constexpr int kSlotSeconds = 900;  // one scrape round per quarter hour
  static constexpr int kMaxJitterSeconds = 60;
};

}  // namespace ypa::datagen
