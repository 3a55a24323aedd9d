#include "core/env.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/errors.hpp"

namespace ypa::env {

std::optional<std::string> get(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string get_or(const char* name, std::string_view fallback) {
  auto value = get(name);
  return value ? *value : std::string(fallback);
}

std::int64_t parse_int(std::string_view text, std::string_view what, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    throw InputError(fmt::format("{}='{}': not an integer", what, text));
  }
  if (value < min || value > max) {
    throw InputError(fmt::format("{}={}: must be between {} and {}", what, value, min, max));
  }
  return value;
}

double parse_double(std::string_view text, std::string_view what, double min, double max) {
  double value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) {
    throw InputError(fmt::format("{}='{}': not a number", what, text));
  }
  if (value < min || value > max) {
    throw InputError(fmt::format("{}={}: must be between {} and {}", what, value, min, max));
  }
  return value;
}

std::vector<std::int64_t> parse_int_list(std::string_view text, std::string_view what, std::int64_t min,
                                         std::int64_t max) {
  std::vector<std::int64_t> values;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) throw InputError(fmt::format("{}='{}': empty item in the list", what, text));
    values.push_back(parse_int(item, what, min, max));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return values;
}

std::int64_t parse_duration(std::string_view text, std::string_view what) {
  if (text.size() < 2) throw InputError(fmt::format("{}='{}': expected a duration such as 90s, 15m, 2h or 1d", what, text));
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default:
      throw InputError(fmt::format("{}='{}': expected a duration such as 90s, 15m, 2h or 1d", what, text));
  }
  return parse_int(text.substr(0, text.size() - 1), what, 0, 3660LL * 86400 / unit) * unit;
}

bool parse_bool(std::string_view text, std::string_view what) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
  throw InputError(fmt::format("{}='{}': expected 1/0, true/false, yes/no or on/off", what, text));
}

bool get_bool(const char* name, bool fallback) {
  auto value = get(name);
  return value ? parse_bool(*value, name) : fallback;
}

std::int64_t get_int(const char* name, std::int64_t fallback, std::int64_t min, std::int64_t max) {
  auto value = get(name);
  return value ? parse_int(*value, name, min, max) : fallback;
}

double get_double(const char* name, double fallback, double min, double max) {
  auto value = get(name);
  return value ? parse_double(*value, name, min, max) : fallback;
}

}  // namespace ypa::env
