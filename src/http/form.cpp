#include "http/form.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "store/run_id.hpp"

namespace ypa::http {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view strip(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Django forms take a blank value as "no filter".
std::optional<std::string_view> present(const QueryParams& q, std::string_view param) {
  auto v = q.get(param);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string invalid_choice(std::string_view value) {
  return fmt::format("Select a valid choice. {} is not one of the available choices.", value);
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool valid_date(int y, int m, int d) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

// Reads 1..max digits at s[i]; returns the count read.
std::size_t read_digits(std::string_view s, std::size_t i, std::size_t max, int& value) {
  std::size_t n = 0;
  value = 0;
  while (i + n < s.size() && n < max && is_digit(s[i + n])) {
    value = value * 10 + (s[i + n] - '0');
    ++n;
  }
  return n;
}

// Python strptime's %m and %d: 01-09, 1-9, 10-12 (months) / 10-31 (days), and " 1".." 9" for days.
std::optional<int> strptime_field(std::string_view s, bool day) {
  if (s.size() == 1 && s[0] >= '1' && s[0] <= '9') return s[0] - '0';
  if (s.size() != 2) return std::nullopt;
  if (day && s[0] == ' ' && s[1] >= '1' && s[1] <= '9') return s[1] - '0';
  if (!is_digit(s[0]) || !is_digit(s[1])) return std::nullopt;
  int v = (s[0] - '0') * 10 + (s[1] - '0');
  if (s[0] == '0' && v == 0) return std::nullopt;
  if (!day && v > 12) return std::nullopt;
  if (day && v > 31) return std::nullopt;
  return v;
}

EpochSeconds local_to_epoch(const TimeZone& zone, int y, int mo, int d, int h, int mi, int s) {
  return zone.from_local(LocalDateTime{y, mo, d, h, mi, s});
}

}  // namespace

void FormErrors::add(std::string_view param, std::string message) {
  for (auto& [name, messages] : errors_) {
    if (name == param) {
      messages.push_back(std::move(message));
      return;
    }
  }
  errors_.push_back({std::string(param), {std::move(message)}});
}

nlohmann::ordered_json FormErrors::to_json() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, messages] : errors_) out[name] = messages;
  return out;
}

std::optional<DecimalValue> parse_decimal(std::string_view text) {
  std::string s;
  for (char c : strip(text)) {
    if (c != '_') s += c;
  }
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  std::string digits;
  std::int64_t scale = 0;  // value = digits * 10^scale
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && is_digit(s[i])) {
    digits += s[i++];
    ++int_digits;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) {
      digits += s[i++];
      ++frac_digits;
    }
  }
  if (int_digits + frac_digits == 0) return std::nullopt;  // also Infinity and NaN: not finite numbers
  scale = -static_cast<std::int64_t>(frac_digits);
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
    if (i == s.size() || !is_digit(s[i])) return std::nullopt;
    std::int64_t exp = 0;
    while (i < s.size() && is_digit(s[i])) {
      if (exp < 1'000'000'000) exp = exp * 10 + (s[i] - '0');
      ++i;
    }
    scale += exp_negative ? -exp : exp;
  }
  if (i != s.size()) return std::nullopt;
  DecimalValue out;
  auto first = digits.find_first_not_of('0');
  if (first == std::string::npos) {
    out.id = 0;
    return out;
  }
  digits.erase(0, first);
  while (digits.back() == '0') {
    digits.pop_back();
    ++scale;
  }
  if (negative || scale < 0 || static_cast<std::int64_t>(digits.size()) + scale > 10) return out;
  std::uint64_t v = std::stoull(digits);
  for (std::int64_t k = 0; k < scale; ++k) v *= 10;
  if (v <= 0xFFFFFFFFull) out.id = static_cast<std::uint32_t>(v);
  return out;
}

std::optional<std::vector<std::uint32_t>> number_filter(const QueryParams& q, std::string_view param, FormErrors& e) {
  auto v = present(q, param);
  if (!v || strip(*v).empty()) return std::nullopt;
  auto d = parse_decimal(*v);
  if (!d) {
    e.add(param, std::string(kInvalidNumber));
    return std::nullopt;
  }
  std::vector<std::uint32_t> ids;
  if (d->id) ids.push_back(*d->id);
  return ids;
}

std::optional<std::vector<std::uint32_t>> number_in_filter(const QueryParams& q, std::string_view param,
                                                           FormErrors& e) {
  auto v = present(q, param);
  if (!v) return std::nullopt;
  std::vector<std::uint32_t> ids;
  for (auto item : split_commas(*v)) {
    if (strip(item).empty()) continue;
    auto d = parse_decimal(item);
    if (!d) {
      e.add(param, std::string(kInvalidNumber));
      return std::nullopt;
    }
    if (d->id) ids.push_back(*d->id);
  }
  return ids;
}

std::optional<std::string> char_filter(const QueryParams& q, std::string_view param, FormErrors& e) {
  auto v = present(q, param);
  if (!v) return std::nullopt;
  auto s = strip(*v);
  if (s.empty()) return std::nullopt;
  if (s.find('\0') != std::string_view::npos) {
    e.add(param, std::string(kNullCharacters));
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<std::vector<std::string>> char_in_filter(const QueryParams& q, std::string_view param, FormErrors& e) {
  auto v = present(q, param);
  if (!v) return std::nullopt;
  std::vector<std::string> out;
  for (auto item : split_commas(*v)) {
    auto s = strip(item);
    if (s.find('\0') != std::string_view::npos) {
      e.add(param, std::string(kNullCharacters));
      return std::nullopt;
    }
    out.emplace_back(s);
  }
  return out;
}

std::optional<std::string> choice_filter(const QueryParams& q, std::string_view param,
                                         const std::vector<std::string>& choices, FormErrors& e) {
  auto v = present(q, param);
  if (!v) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *v) == choices.end()) {
    e.add(param, invalid_choice(*v));
    return std::nullopt;
  }
  return std::string(*v);
}

std::optional<std::vector<std::string>> choice_in_filter(const QueryParams& q, std::string_view param,
                                                         const std::vector<std::string>& choices, FormErrors& e) {
  auto v = present(q, param);
  if (!v) return std::nullopt;
  std::vector<std::string> out;
  for (auto item : split_commas(*v)) {
    if (!item.empty() && std::find(choices.begin(), choices.end(), item) == choices.end()) {
      e.add(param, invalid_choice(item));
      return std::nullopt;
    }
    out.emplace_back(item);
  }
  return out;
}

std::optional<Instant> parse_datetime(std::string_view text, const TimeZone& zone) {
  auto s = strip(text);
  // YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z|+HH[[:]MM]] (Django's parse_datetime)
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, micro = 0;
  std::size_t i = 0, n = 0;
  auto expect = [&](char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  bool full = true;
  if ((n = read_digits(s, i, 4, y)) != 4) full = false;
  i += n;
  if (full && !(expect('-') && (n = read_digits(s, i, 2, mo)) > 0)) full = false;
  if (full) i += n;
  if (full && !(expect('-') && (n = read_digits(s, i, 2, d)) > 0)) full = false;
  if (full) i += n;
  if (full && !(i < s.size() && (s[i] == 'T' || s[i] == ' '))) full = false;
  if (full) ++i;
  if (full && (n = read_digits(s, i, 2, h)) == 0) full = false;
  if (full) i += n;
  if (full && !(expect(':') && (n = read_digits(s, i, 2, mi)) > 0)) full = false;
  if (full) i += n;
  int offset_min = 0;
  bool aware = false;
  if (full && i < s.size() && s[i] == ':') {
    ++i;
    if ((n = read_digits(s, i, 2, sec)) == 0) full = false;
    i += n;
    if (full && i < s.size() && (s[i] == '.' || s[i] == ',')) {
      std::size_t start = ++i;
      std::size_t count = 0;
      while (i < s.size() && is_digit(s[i]) && count < 12) {
        if (count < 6) micro = micro * 10 + (s[i] - '0');
        ++i;
        ++count;
      }
      if (count == 0) full = false;
      for (std::size_t k = std::min<std::size_t>(count, 6); k < 6; ++k) micro *= 10;
      (void)start;
    }
  }
  if (full && i < s.size()) {
    if (s[i] == 'Z') {
      aware = true;
      ++i;
    } else if (s[i] == '+' || s[i] == '-') {
      bool neg = s[i] == '-';
      ++i;
      int oh = 0, om = 0;
      if (read_digits(s, i, 2, oh) != 2) {
        full = false;
      } else {
        i += 2;
        if (i < s.size() && s[i] == ':') ++i;
        if (i < s.size()) {
          if (read_digits(s, i, 2, om) != 2) {
            full = false;
          } else {
            i += 2;
          }
        }
      }
      offset_min = (neg ? -1 : 1) * (oh * 60 + om);
      aware = true;
    }
  }
  if (full && i == s.size()) {
    if (!valid_date(y, mo, d) || h > 23 || mi > 59 || sec > 59 || offset_min <= -1440 || offset_min >= 1440) {
      return std::nullopt;
    }
    EpochSeconds t = aware ? (days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                              h * 3600 + mi * 60 + sec - offset_min * 60)
                           : local_to_epoch(zone, y, mo, d, h, mi, sec);
    return Instant{t, micro};
  }
  // A bare date (strptime "%Y-%m-%d"), midnight in the zone.
  auto dash1 = s.find('-');
  if (dash1 != 4) return std::nullopt;
  auto dash2 = s.find('-', 5);
  if (dash2 == std::string_view::npos) return std::nullopt;
  if (read_digits(s, 0, 4, y) != 4) return std::nullopt;
  auto m = strptime_field(s.substr(5, dash2 - 5), false);
  auto dd = strptime_field(s.substr(dash2 + 1), true);
  if (!m || !dd || !valid_date(y, *m, *dd)) return std::nullopt;
  return Instant{local_to_epoch(zone, y, *m, *dd, 0, 0, 0), 0};
}

store::BucketBounds bucket_bounds(const QueryParams& q, std::string_view gte_param, std::string_view lte_param,
                                  const TimeZone& zone, FormErrors& e) {
  // DateTime('Asia/Tokyo') holds 0 .. 2^32-1 seconds; bounds outside are clamped or match nothing.
  constexpr EpochSeconds kMaxTime = 4294967295;
  store::BucketBounds b;
  bool nothing = false;
  if (auto v = present(q, gte_param); v && !strip(*v).empty()) {
    if (auto t = parse_datetime(*v, zone)) {
      EpochSeconds s = t->seconds + (t->microseconds > 0 ? 1 : 0);
      if (s > kMaxTime) nothing = true;
      b.gte = std::max<EpochSeconds>(s, 0);
    } else {
      e.add(gte_param, std::string(kInvalidDateTime));
    }
  }
  if (auto v = present(q, lte_param); v && !strip(*v).empty()) {
    if (auto t = parse_datetime(*v, zone)) {
      if (t->seconds < 0) nothing = true;
      b.lte = std::min<EpochSeconds>(t->seconds, kMaxTime);
    } else {
      e.add(lte_param, std::string(kInvalidDateTime));
    }
  }
  if (nothing) {
    b.gte = 1;
    b.lte = 0;
  }
  return b;
}

std::string run_id_param(const QueryParams& q, FormErrors& e) {
  auto v = present(q, "run_id");
  if (!v) return std::string(store::kLiveRun);
  auto s = strip(*v);
  if (s.empty()) return std::string(store::kLiveRun);
  // Django runs the field's own validators before the null-character check CharField appends.
  bool bad = false;
  if (!store::is_valid_run_id(s)) {
    e.add("run_id", std::string(kInvalidRunId));
    bad = true;
  }
  if (s.find('\0') != std::string_view::npos) {
    e.add("run_id", std::string(kNullCharacters));
    bad = true;
  }
  return bad ? std::string(store::kLiveRun) : std::string(s);
}

std::vector<store::OrderTerm> ordering_param(const QueryParams& q, const std::vector<std::string>& valid,
                                             const std::vector<store::OrderTerm>& fallback) {
  auto v = q.get("ordering");
  if (!v || v->empty()) return fallback;
  std::vector<store::OrderTerm> out;
  for (auto item : split_commas(*v)) {
    auto term = strip(item);
    bool desc = !term.empty() && term.front() == '-';
    if (desc) term.remove_prefix(1);
    if (std::find(valid.begin(), valid.end(), term) != valid.end()) out.push_back({std::string(term), desc});
  }
  return out.empty() ? fallback : out;
}

std::optional<std::int64_t> python_int(std::string_view text) {
  auto s = strip(text);
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i == s.size() || !is_digit(s[i])) return std::nullopt;
  constexpr std::int64_t kClamp = 1'000'000'000'000'000'000;
  std::int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (i + 1 >= s.size() || !is_digit(s[i + 1])) return std::nullopt;
      continue;
    }
    if (!is_digit(s[i])) return std::nullopt;
    v = std::min(kClamp, v * 10 + (s[i] - '0'));
  }
  return negative ? -v : v;
}

PageRequest page_param(const QueryParams& q) {
  PageRequest p{kDefaultLimit, 0};
  if (auto v = q.get("limit")) {
    if (auto n = python_int(*v); n && *n > 0) p.limit = std::min<std::uint64_t>(static_cast<std::uint64_t>(*n), kMaxLimit);
  }
  if (auto v = q.get("offset")) {
    if (auto n = python_int(*v); n && *n >= 0) p.offset = static_cast<std::uint64_t>(*n);
  }
  return p;
}

std::optional<std::string> next_link(const std::string& base, const QueryParams& q, const PageRequest& page,
                                     std::uint64_t count) {
  if (page.offset + page.limit >= count) return std::nullopt;
  QueryParams p = q;
  p.set("limit", std::to_string(page.limit));
  p.set("offset", std::to_string(page.offset + page.limit));
  return base + "?" + p.encode_sorted();
}

std::optional<std::string> previous_link(const std::string& base, const QueryParams& q, const PageRequest& page) {
  if (page.offset == 0) return std::nullopt;
  QueryParams p = q;
  p.set("limit", std::to_string(page.limit));
  if (page.offset <= page.limit) {
    p.remove("offset");
  } else {
    p.set("offset", std::to_string(page.offset - page.limit));
  }
  return base + "?" + p.encode_sorted();
}

}  // namespace ypa::http
