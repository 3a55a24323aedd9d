#include "http/query_string.hpp"

#include <algorithm>

namespace ypa::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the valid UTF-8 sequence at text[i], 0 when invalid (then `bad` is the length of the maximal
// invalid prefix that one replacement character stands for).
std::size_t utf8_sequence(std::string_view text, std::size_t i, std::size_t& bad) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  bad = 1;
  if (c < 0x80) return 1;
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (std::size_t k = 1; k <= need; ++k) {
    if (i + k >= text.size()) return 0;
    unsigned char b = byte(i + k);
    unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) return 0;
    bad = k + 1;
  }
  return need + 1;
}

}  // namespace

std::string repair_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t bad = 1;
    std::size_t n = utf8_sequence(text, i, bad);
    if (n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      i += bad;
    }
  }
  return out;
}

std::string percent_decode(std::string_view text, bool plus_as_space) {
  std::string raw;
  raw.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      raw += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      raw += ' ';
    } else {
      raw += c;
    }
  }
  return repair_utf8(raw);
}

std::string quote_plus(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
        c == '-' || c == '~') {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

QueryParams QueryParams::parse(std::string_view raw) {
  QueryParams params;
  std::size_t start = 0;
  while (start <= raw.size()) {
    std::size_t end = raw.find('&', start);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view piece = raw.substr(start, end - start);
    if (!piece.empty()) {
      std::size_t eq = piece.find('=');
      std::string_view key = eq == std::string_view::npos ? piece : piece.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
      params.items_.push_back({percent_decode(key, true), percent_decode(value, true)});
    }
    start = end + 1;
  }
  return params;
}

std::optional<std::string_view> QueryParams::get(std::string_view key) const {
  for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
    if (it->key == key) return std::string_view(it->value);
  }
  return std::nullopt;
}

void QueryParams::set(std::string_view key, std::string_view value) {
  auto it = std::find_if(items_.begin(), items_.end(), [&](const QueryParam& p) { return p.key == key; });
  if (it == items_.end()) {
    items_.push_back({std::string(key), std::string(value)});
    return;
  }
  it->value = std::string(value);
  items_.erase(std::remove_if(std::next(it), items_.end(), [&](const QueryParam& p) { return p.key == key; }),
               items_.end());
}

void QueryParams::remove(std::string_view key) {
  items_.erase(std::remove_if(items_.begin(), items_.end(), [&](const QueryParam& p) { return p.key == key; }),
               items_.end());
}

std::string QueryParams::encode_sorted() const {
  std::vector<const QueryParam*> sorted;
  for (const auto& p : items_) sorted.push_back(&p);
  std::stable_sort(sorted.begin(), sorted.end(), [](const QueryParam* a, const QueryParam* b) { return a->key < b->key; });
  std::string out;
  for (const auto* p : sorted) {
    if (!out.empty()) out += '&';
    out += quote_plus(p->key);
    out += '=';
    out += quote_plus(p->value);
  }
  return out;
}

}  // namespace ypa::http
