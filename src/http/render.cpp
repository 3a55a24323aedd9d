#include "http/render.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace ypa::http {
namespace {

using Json = nlohmann::ordered_json;

// Printable ASCII other than '"' and '\\' is written as it is (timestamps, names, slugs: nearly every
// string); anything else goes through nlohmann's escaping, which also replaces invalid UTF-8.
bool plain_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

void append_string(std::string& out, const std::string& s) {
  if (plain_ascii(s)) {
    out += '"';
    out += s;
    out += '"';
  } else {
    out += Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

template <typename Integer>
void append_integer(std::string& out, Integer i) {
  char buf[24];
  out.append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, i).ptr - buf));
}

void append(std::string& out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        if (!first) out += ',';
        first = false;
        append_string(out, key);
        out += ':';
        append(out, item);
      }
      out += '}';
      return;
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v) {
        if (!first) out += ',';
        first = false;
        append(out, item);
      }
      out += ']';
      return;
    }
    case Json::value_t::string:
      append_string(out, v.get_ref<const std::string&>());
      return;
    case Json::value_t::number_float: {
      double d = v.get<double>();
      if (std::isfinite(d)) {
        append_python_float(out, d);
      } else {
        out += "null";
      }
      return;
    }
    case Json::value_t::number_integer:
      append_integer(out, v.get<std::int64_t>());
      return;
    case Json::value_t::number_unsigned:
      append_integer(out, v.get<std::uint64_t>());
      return;
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    default:  // null and nlohmann's binary values (never built here)
      out += "null";
      return;
  }
}

// DRF escapes these two after json.dumps: they end a line in JavaScript source.
void escape_line_separators(std::string& text) {
  static constexpr std::string_view kSeparators[] = {"\xE2\x80\xA8", "\xE2\x80\xA9"};
  static constexpr std::string_view kEscapes[] = {"\\u2028", "\\u2029"};
  if (text.find("\xE2\x80") == std::string::npos) return;
  for (int i = 0; i < 2; ++i) {
    for (auto at = text.find(kSeparators[i]); at != std::string::npos; at = text.find(kSeparators[i], at)) {
      text.replace(at, kSeparators[i].size(), kEscapes[i]);
      at += kEscapes[i].size();
    }
  }
}

}  // namespace

void append_python_float(std::string& out, double v) {
  // std::to_chars without a precision gives the shortest digits that read back as v (what Python's
  // repr picks too); only the layout differs, so the digits and exponent are laid out again.
  char buf[40];
  auto written = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<std::size_t>(written.ptr - buf));  // [-]d[.ddd]e[+-]dd
  if (s.front() == '-') {
    out += '-';
    s.remove_prefix(1);
  }
  const auto e = s.find('e');
  char digit_buf[24];  // at most 17 significant digits, without the point
  digit_buf[0] = s[0];
  const std::size_t n = e > 1 ? 1 + s.substr(2, e - 2).copy(digit_buf + 1, e - 2) : 1;
  const std::string_view digits(digit_buf, n);
  int exponent = 0;
  std::from_chars(s.data() + e + (s[e + 1] == '+' ? 2 : 1), s.data() + s.size(), exponent);

  if (exponent >= 16 || exponent < -4) {  // 1e+16, 1.5e-07
    out += digits.front();
    if (n > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += exponent < 0 ? "e-" : "e+";
    const int magnitude = std::abs(exponent);
    if (magnitude < 10) out += '0';
    char exp_buf[8];
    out.append(exp_buf, static_cast<std::size_t>(
                            std::to_chars(exp_buf, exp_buf + sizeof exp_buf, magnitude).ptr - exp_buf));
  } else if (exponent < 0) {  // 0.0167
    out += "0.";
    out.append(static_cast<std::size_t>(-exponent - 1), '0');
    out += digits;
  } else if (static_cast<std::size_t>(exponent) + 1 >= n) {  // a whole number: 85000.0
    out += digits;
    out.append(static_cast<std::size_t>(exponent) + 1 - n, '0');
    out += ".0";
  } else {  // 2963.781368454833
    const auto whole = static_cast<std::size_t>(exponent) + 1;
    out += digits.substr(0, whole);
    out += '.';
    out += digits.substr(whole);
  }
}

std::string render_json(const Json& value) {
  std::string out;
  out.reserve(4096);
  append(out, value);
  escape_line_separators(out);
  return out;
}

}  // namespace ypa::http
