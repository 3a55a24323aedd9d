// Scrape schedule and price model of the generator. Every random choice draws from a stream keyed by
// (seed, what, day, shop), so a day's rows depend only on the seed, the catalogue and earlier days.
#include "datagen/generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "core/errors.hpp"
#include "datagen/random.hpp"

namespace ypa::datagen {
namespace {

// Stream numbers: one per purpose, then offset by day and shop.
constexpr std::uint64_t kStreamShopTraits = 1;
constexpr std::uint64_t kStreamMarketStart = 2;
constexpr std::uint64_t kStreamMarketDay = 1ULL << 32;
constexpr std::uint64_t kStreamShopDay = 2ULL << 32;
constexpr int kMaxDays = 3660;

// Days since 1970-01-01 for a civil date and back (H. Hinnant's algorithms): pure integer arithmetic.
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

LocalDateTime civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
  return LocalDateTime{y, m, d, 0, 0, 0};
}

std::int64_t day_number(const LocalDateTime& day) {
  return days_from_civil(day.year, day.month, day.day);
}

// What a shop is like; fixed for the whole data set.
struct ShopTraits {
  double price_factor = 1.0;    // how much of the market price the shop pays
  double list_share = 0.9;      // chance a carried SKU appears in one scrape
  double reprice_share = 0.05;  // chance per scrape that the shop has re-priced a SKU
  int rounding = 100;           // quotes are multiples of this many yen
  bool publishes_grades = true;
  double grade_a_ratio = 0.93;
  double grade_b_ratio = 0.85;
  std::int64_t offset_us = 0;      // start within the quarter hour (pairs of shops share a slot)
  std::int64_t jitter_us = 0;      // maximum extra delay
  std::vector<int> carried;        // indexes into the catalogue's iPhones
  std::vector<double> sku_factor;  // per carried SKU: the shop's own small bias
};

struct Quote {
  bool set = false;
  std::int32_t price_new = 0;
  std::optional<std::int32_t> grade_a;
  std::optional<std::int32_t> grade_b;
};

std::int32_t round_to(double yen, int unit) {
  auto units = static_cast<std::int64_t>(yen / unit + 0.5);
  return static_cast<std::int32_t>(std::max<std::int64_t>(units, 1) * unit);
}

std::vector<ShopTraits> make_shop_traits(const GeneratorOptions& options, const Catalogue& catalogue) {
  const auto shops = static_cast<std::int64_t>(catalogue.shops.size());
  const std::int64_t pairs = (shops + 1) / 2;
  const std::int64_t slot_us = std::int64_t{Rates::kSlotSeconds} * 1'000'000;
  const std::int64_t spacing_us = slot_us / pairs;
  std::vector<ShopTraits> traits;
  for (std::int64_t s = 0; s < shops; ++s) {
    Rng rng(options.seed, kStreamShopTraits * 100000 + static_cast<std::uint64_t>(s));
    ShopTraits t;
    // Most shops pay 92-99% of the market; about one in five pays a premium.
    t.price_factor = rng.uniform(0.92, 0.99) + (rng.chance(0.2) ? 0.03 : 0.0);
    t.list_share = rng.uniform(0.86, 0.97);
    t.reprice_share = rng.uniform(0.02, 0.08);
    const double r = rng.uniform();
    t.rounding = r < 0.5 ? 100 : (r < 0.85 ? 500 : 1000);
    t.publishes_grades = rng.chance(0.75);
    t.grade_a_ratio = rng.uniform(0.90, 0.97);
    t.grade_b_ratio = rng.uniform(0.80, 0.89);
    // Two scrapes run at a time: pair k starts k/pairs of the way into each quarter hour.
    t.offset_us = (s / 2) * spacing_us;
    t.jitter_us =
        std::min<std::int64_t>(std::int64_t{Rates::kMaxJitterSeconds} * 1'000'000, spacing_us * 4 / 5);
    const double coverage = rng.uniform(0.65, 0.95);
    for (int i = 0; i < static_cast<int>(catalogue.iphones.size()); ++i) {
      if (rng.chance(coverage)) {
        t.carried.push_back(i);
        t.sku_factor.push_back(1.0 + rng.normal(0.0, 0.005));
      }
    }
    if (t.carried.empty()) {  // every shop buys at least one model
      t.carried.push_back(static_cast<int>(rng.below(catalogue.iphones.size())));
      t.sku_factor.push_back(1.0);
    }
    traits.push_back(std::move(t));
  }
  return traits;
}

struct Scrape {
  std::int64_t time_us = 0;
  int shop = 0;
};

}  // namespace

const char* injection_flag(Injection::Kind kind) {
  switch (kind) {
    case Injection::Kind::kSilent:
      return "--inject-silent";
    case Injection::Kind::kTimes10:
      return "--inject-x10";
    case Injection::Kind::kDropHalf:
      return "--inject-drop-half";
  }
  return "--inject";
}

Injection parse_injection(Injection::Kind kind, std::string_view text, const TimeZone& zone) {
  const char* flag = injection_flag(kind);
  const char* shape = kind == Injection::Kind::kSilent    ? "SHOP,YYYY-MM-DDTHH:MM,HOURS"
                      : kind == Injection::Kind::kTimes10 ? "SHOP,YYYY-MM-DD"
                                                          : "SHOP,YYYY-MM-DD[THH:MM]";
  auto bad = [&](const std::string& why) {
    return InputError(fmt::format("{}='{}': {} (expected {})", flag, text, why, shape));
  };
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    auto comma = text.find(',', start);
    parts.push_back(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  const std::size_t want = kind == Injection::Kind::kSilent ? 3 : 2;
  if (parts.size() != want) throw bad(fmt::format("{} comma-separated fields, not {}", want, parts.size()));
  auto number = [&](std::string_view field, const char* what, std::int64_t lo, std::int64_t hi) {
    std::int64_t v = 0;
    if (field.empty() || field.size() > 9 || field.find_first_not_of("0123456789") != std::string_view::npos) {
      throw bad(fmt::format("{} '{}' is not a whole number", what, field));
    }
    v = std::stoll(std::string(field));
    if (v < lo || v > hi) throw bad(fmt::format("{} {} is not between {} and {}", what, v, lo, hi));
    return v;
  };
  Injection out;
  out.kind = kind;
  out.shop_id = number(parts[0], "shop", 1, kMaxShops);
  std::string_view when = parts[1];
  LocalDateTime local;
  const bool has_time = when.size() == 16 && when[10] == 'T';
  if (has_time && kind == Injection::Kind::kTimes10) throw bad("the second field must be a day, without a time");
  if (!has_time && kind == Injection::Kind::kSilent) throw bad("the second field must be a start time YYYY-MM-DDTHH:MM");
  try {
    local = parse_date(when.substr(0, 10), flag);
  } catch (const InputError&) {
    throw bad(fmt::format("'{}' is not a date", when));
  }
  if (has_time) {
    local.hour = static_cast<int>(number(when.substr(11, 2), "hour", 0, 23));
    if (when[13] != ':') throw bad(fmt::format("'{}' is not a time HH:MM", when.substr(11)));
    local.minute = static_cast<int>(number(when.substr(14, 2), "minute", 0, 59));
  } else if (when.size() != 10) {
    throw bad(fmt::format("'{}' is not a date", when));
  }
  const std::int64_t begin = zone.from_local(local);
  out.begin_us = begin * 1'000'000;
  if (kind == Injection::Kind::kSilent) {
    out.end_us = (begin + number(parts[2], "hours", 1, 24 * 366) * 3600) * 1'000'000;
  } else if (kind == Injection::Kind::kTimes10) {
    LocalDateTime next = zone.to_local(begin + 36 * 3600);  // the next calendar day, DST or not
    next.hour = next.minute = next.second = 0;
    out.end_us = zone.from_local(next) * 1'000'000;
  } else {
    out.end_us = INT64_MAX;
  }
  return out;
}

void validate(const GeneratorOptions& options) {
  if (options.shops < 1 || options.shops > kMaxShops) {
    throw InputError(fmt::format("--shops {}: must be between 1 and {}", options.shops, kMaxShops));
  }
  if (options.iphones < 1 || options.iphones > max_iphones()) {
    throw InputError(fmt::format("--iphones {}: must be between 1 and {} (the SKUs of iPhone 13 to 16)",
                                 options.iphones, max_iphones()));
  }
  const std::int64_t days = day_number(options.last_day) - day_number(options.first_day) + 1;
  if (days < 1) {
    throw InputError(fmt::format("--from {:04}-{:02}-{:02} is after --to {:04}-{:02}-{:02}",
                                 options.first_day.year, options.first_day.month, options.first_day.day,
                                 options.last_day.year, options.last_day.month, options.last_day.day));
  }
  if (days > kMaxDays) {
    throw InputError(fmt::format("--from/--to span {} days: at most {} days per call", days, kMaxDays));
  }
  TimeZone zone(options.time_zone);  // throws InputError for an unknown zone
  for (const auto& injection : options.injections) {
    if (injection.shop_id > options.shops) {
      throw InputError(fmt::format("{}: shop {} does not exist (--shops {})", injection_flag(injection.kind),
                                   injection.shop_id, options.shops));
    }
  }
}

GenerationStats generate_prices(const GeneratorOptions& options, const Catalogue& catalogue, RecordSink& sink,
                                const DayCallback& on_day) {
  validate(options);
  const TimeZone zone(options.time_zone);
  const auto skus = catalogue.iphones.size();
  const auto shops = catalogue.shops.size();
  std::vector<ShopTraits> traits = make_shop_traits(options, catalogue);

  // The market price of each SKU: a random walk with a daily drift (buy-back prices mostly fall as a
  // model ages; each family drifts together, each SKU a little on its own).
  std::vector<double> market(skus);
  {
    Rng rng(options.seed, kStreamMarketStart);
    for (std::size_t i = 0; i < skus; ++i)
      market[i] = catalogue.iphones[i].base_price * rng.uniform(0.97, 1.03);
  }
  std::vector<double> drift_per_slot(skus);
  std::vector<Quote> quotes(shops * skus);

  GenerationStats stats;
  std::int64_t next_id = 1;
  std::vector<Scrape> scrapes;
  scrapes.reserve(shops);
  std::vector<Rng> shop_rng;
  std::vector<std::pair<int, int>> outage(shops);  // [first, last) slot of the day without scrapes

  const std::int64_t first = day_number(options.first_day);
  const std::int64_t last = day_number(options.last_day);
  for (std::int64_t day = first; day <= last; ++day) {
    const LocalDateTime date = civil_from_days(day);
    const EpochSeconds day_start = zone.from_local(date);
    const EpochSeconds day_end = zone.from_local(civil_from_days(day + 1));
    const int slots = static_cast<int>((day_end - day_start) / Rates::kSlotSeconds);
    const auto day_stream = static_cast<std::uint64_t>(day - first);

    Rng market_rng(options.seed, kStreamMarketDay + day_stream);
    // Daily drift: -0.15%/day for a family on average, with day-to-day noise.
    std::vector<double> family_drift;
    for (const auto& phone : catalogue.iphones) {
      while (static_cast<int>(family_drift.size()) <= phone.family) {
        family_drift.push_back(market_rng.normal(-0.0015, 0.002));
      }
    }
    for (std::size_t i = 0; i < skus; ++i) {
      const double daily =
          family_drift[static_cast<std::size_t>(catalogue.iphones[i].family)] + market_rng.normal(0.0, 0.001);
      drift_per_slot[i] = daily / slots;
    }
    shop_rng.clear();
    for (std::size_t s = 0; s < shops; ++s) {
      shop_rng.emplace_back(options.seed, kStreamShopDay + day_stream * 1000 + s);
      Rng& rng = shop_rng.back();
      outage[s] = {0, 0};
      if (rng.chance(Rates::kOutageShopDay)) {
        const int start = static_cast<int>(rng.below(static_cast<std::uint64_t>(slots)));
        const int end = start + 4 + static_cast<int>(rng.below(13));
        // Drawn either way, so that without outages the other shops' rows keep their times and prices
        // (the ids after an outage's start move on by the rows scraped in its place).
        if (options.outages) outage[s] = {start, end};
      }
    }

    for (int slot = 0; slot < slots; ++slot) {
      // Intraday noise: sd 0.06% per quarter hour, about 0.6% per day.
      for (std::size_t i = 0; i < skus; ++i) {
        market[i] *= 1.0 + drift_per_slot[i] + 0.0006 * market_rng.normal();
      }
      const std::int64_t slot_us = (day_start + std::int64_t{slot} * Rates::kSlotSeconds) * 1'000'000;
      scrapes.clear();
      for (std::size_t s = 0; s < shops; ++s) {
        Rng& rng = shop_rng[s];
        const bool missed =
            rng.chance(Rates::kMissedScrape) || (slot >= outage[s].first && slot < outage[s].second);
        const std::int64_t jitter =
            static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(traits[s].jitter_us)));
        if (missed) {
          ++stats.missed_scrapes;
          continue;
        }
        scrapes.push_back({slot_us + traits[s].offset_us + jitter, static_cast<int>(s)});
      }
      std::sort(scrapes.begin(), scrapes.end(), [](const Scrape& a, const Scrape& b) {
        return a.time_us != b.time_us ? a.time_us < b.time_us : a.shop < b.shop;
      });

      for (const Scrape& scrape : scrapes) {
        const auto s = static_cast<std::size_t>(scrape.shop);
        const ShopTraits& t = traits[s];
        Rng& rng = shop_rng[s];
        bool listed_any = false;
        for (std::size_t c = 0; c < t.carried.size(); ++c) {
          if (!rng.chance(t.list_share)) continue;
          const auto sku = static_cast<std::size_t>(t.carried[c]);
          Quote& quote = quotes[s * skus + sku];
          // Shops re-price now and then, so quotes are sticky between updates.
          if (!quote.set || rng.chance(t.reprice_share)) {
            const double price = market[sku] * t.price_factor * t.sku_factor[c];
            quote.set = true;
            quote.price_new = round_to(price, t.rounding);
            quote.grade_a.reset();
            quote.grade_b.reset();
            if (t.publishes_grades) {
              if (!rng.chance(0.1)) quote.grade_a = round_to(quote.price_new * t.grade_a_ratio, t.rounding);
              if (!rng.chance(0.3)) quote.grade_b = round_to(quote.price_new * t.grade_b_ratio, t.rounding);
            }
          }
          PriceRecord record;
          record.id = next_id++;
          record.shop_id = catalogue.shops[s].id;
          record.iphone_id = catalogue.iphones[sku].id;
          record.recorded_at_us = scrape.time_us;
          record.price_new = quote.price_new;
          record.price_grade_a = quote.grade_a;
          record.price_grade_b = quote.grade_b;
          enum class Fault { kNone, kOutlier, kZero, kNull } fault = Fault::kNone;
          const double roll = rng.uniform();
          if (roll < Rates::kOutlier) {
            // A parser slip: an extra or a missing digit.
            fault = Fault::kOutlier;
            record.price_new = rng.chance(0.5) ? quote.price_new * 10 : round_to(quote.price_new * 0.1, 10);
          } else if (roll < Rates::kOutlier + Rates::kInvalid) {
            fault = rng.chance(0.5) ? Fault::kZero : Fault::kNull;
            record.price_new = fault == Fault::kZero ? std::optional<std::int32_t>(0) : std::nullopt;
          }
          auto emit = [&] {
            // Injected failures change or remove the row after every random draw, so the other rows
            // are those of the same seed without injections.
            PriceRecord out = record;
            for (const auto& inj : options.injections) {
              if (out.shop_id != inj.shop_id || out.recorded_at_us < inj.begin_us || out.recorded_at_us >= inj.end_us) {
                continue;
              }
              if (inj.kind == Injection::Kind::kSilent ||
                  (inj.kind == Injection::Kind::kDropHalf && out.iphone_id % 2 == 1)) {
                ++stats.injected_dropped;
                return;
              }
              if (inj.kind == Injection::Kind::kTimes10) {
                for (auto* price : {&out.price_new, &out.price_grade_a, &out.price_grade_b}) {
                  if (*price && **price > 0) **price *= 10;
                }
                ++stats.injected_x10;
              }
            }
            sink.add(out);
            ++stats.records;
            stats.outliers += fault == Fault::kOutlier ? 1 : 0;
            stats.invalid_zero += fault == Fault::kZero ? 1 : 0;
            stats.invalid_null += fault == Fault::kNull ? 1 : 0;
            stats.grade_a_null += out.price_grade_a ? 0 : 1;
            stats.grade_b_null += out.price_grade_b ? 0 : 1;
          };
          emit();
          listed_any = true;
          if (rng.chance(Rates::kDuplicate)) {
            // The scraper saved the row twice; sometimes the second copy carries a corrected price.
            record.id = next_id++;
            if (fault == Fault::kNone && rng.chance(0.3)) record.price_new = quote.price_new + t.rounding;
            emit();
            ++stats.duplicates;
          }
        }
        if (listed_any) {
          ++stats.scrapes;
        } else {
          ++stats.missed_scrapes;  // nothing listed leaves no trace in the table
        }
      }
    }
    ++stats.days;
    if (on_day) on_day(date, stats);
  }
  return stats;
}

}  // namespace ypa::datagen
