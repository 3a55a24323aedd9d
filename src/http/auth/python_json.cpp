#include "http/auth/python_json.hpp"

#include <fmt/format.h>

#include <cstddef>

namespace ypa::http::auth {
namespace {

// Thrown inside the scanner: the message and the byte offset Python reports it at.
struct Failure {
  std::string message;
  std::size_t at;
};

// Python's StopIteration(idx) from scan_once: "Expecting value" at idx, wherever it is raised.
struct StopAt {
  std::size_t at;
};

struct ConstantFailure {
  std::string name;
};

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  std::size_t skip_ws(std::size_t i) const {
    while (i < s_.size() && (s_[i] == ' ' || s_[i] == '\t' || s_[i] == '\n' || s_[i] == '\r')) ++i;
    return i;
  }

  // scan_once: the end of the value starting at i.
  std::size_t value(std::size_t i) {
    if (i >= s_.size()) throw StopAt{i};
    char c = s_[i];
    if (c == '"') return string(i + 1);
    if (c == '{') return object(i + 1);
    if (c == '[') return array(i + 1);
    if (c == 'n' && s_.substr(i, 4) == "null") return i + 4;
    if (c == 't' && s_.substr(i, 4) == "true") return i + 4;
    if (c == 'f' && s_.substr(i, 5) == "false") return i + 5;
    if (c == 'N' && s_.substr(i, 3) == "NaN") throw ConstantFailure{"NaN"};
    if (c == 'I' && s_.substr(i, 8) == "Infinity") throw ConstantFailure{"Infinity"};
    if (c == '-' && s_.substr(i, 9) == "-Infinity") throw ConstantFailure{"-Infinity"};
    return number(i);
  }

 private:
  bool digit(std::size_t i) const { return i < s_.size() && s_[i] >= '0' && s_[i] <= '9'; }

  std::size_t number(std::size_t start) {
    std::size_t i = start;
    if (i < s_.size() && s_[i] == '-') ++i;
    if (!digit(i)) throw StopAt{start};
    if (s_[i] == '0') {
      ++i;
    } else {
      while (digit(i)) ++i;
    }
    if (i < s_.size() && s_[i] == '.' && digit(i + 1)) {
      i += 2;
      while (digit(i)) ++i;
    }
    if (i < s_.size() && (s_[i] == 'e' || s_[i] == 'E')) {
      std::size_t j = i + 1;
      if (j < s_.size() && (s_[j] == '+' || s_[j] == '-')) ++j;
      if (digit(j)) {
        i = j;
        while (digit(i)) ++i;
      }
    }
    return i;
  }

  // scanstring: `begin` is just past the opening quote.
  std::size_t string(std::size_t begin) {
    std::size_t i = begin;
    while (true) {
      if (i >= s_.size()) throw Failure{"Unterminated string starting at", begin - 1};
      unsigned char c = static_cast<unsigned char>(s_[i]);
      if (c == '"') return i + 1;
      if (c < 0x20) throw Failure{"Invalid control character at", i};
      if (c != '\\') {
        ++i;
        continue;
      }
      if (i + 1 >= s_.size()) throw Failure{"Unterminated string starting at", begin - 1};
      char e = s_[i + 1];
      if (e == 'u') {
        std::size_t hex = i + 2;
        // Python wants the four digits and one more character (the string must still close).
        if (hex + 4 >= s_.size()) throw Failure{"Invalid \\uXXXX escape", i + 1};
        for (std::size_t k = 0; k < 4; ++k) {
          char h = hex + k < s_.size() ? s_[hex + k] : '\0';
          bool ok = (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
          if (!ok) throw Failure{"Invalid \\uXXXX escape", i + 1};
        }
        i = hex + 4;
        continue;
      }
      if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos)
        throw Failure{"Invalid \\escape", i};
      i += 2;
    }
  }

  std::size_t object(std::size_t i) {
    i = skip_ws(i);
    if (i < s_.size() && s_[i] == '}') return i + 1;
    while (true) {
      if (i >= s_.size() || s_[i] != '"')
        throw Failure{"Expecting property name enclosed in double quotes", i};
      i = skip_ws(string(i + 1));
      if (i >= s_.size() || s_[i] != ':') throw Failure{"Expecting ':' delimiter", i};
      i = skip_ws(value(skip_ws(i + 1)));
      if (i < s_.size() && s_[i] == '}') return i + 1;
      if (i >= s_.size() || s_[i] != ',') throw Failure{"Expecting ',' delimiter", i};
      i = skip_ws(i + 1);
    }
  }

  std::size_t array(std::size_t i) {
    i = skip_ws(i);
    if (i < s_.size() && s_[i] == ']') return i + 1;
    while (true) {
      i = skip_ws(value(i));
      if (i < s_.size() && s_[i] == ']') return i + 1;
      if (i >= s_.size() || s_[i] != ',') throw Failure{"Expecting ',' delimiter", i};
      i = skip_ws(i + 1);
    }
  }

  std::string_view s_;
};

// JSONDecodeError's text: "<msg>: line L column C (char P)", in code points.
std::string located(std::string_view s, const std::string& message, std::size_t at) {
  std::size_t pos = 0, line = 1, column = 1;
  for (std::size_t i = 0; i < at && i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: same code point
    ++pos;
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("{}: line {} column {} (char {})", message, line, column, pos);
}

}  // namespace

std::optional<std::string> python_json_error(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF")
    return located(text, "Unexpected UTF-8 BOM (decode using utf-8-sig)", 0);
  Scanner scanner(text);
  try {
    std::size_t start = scanner.skip_ws(0);
    std::size_t end = scanner.skip_ws(scanner.value(start));
    if (end != text.size()) return located(text, "Extra data", end);
  } catch (const Failure& f) {
    return located(text, f.message, f.at);
  } catch (const StopAt& s) {
    return located(text, "Expecting value", s.at);
  } catch (const ConstantFailure& c) {
    return "Out of range float values are not JSON compliant: '" + c.name + "'";
  }
  return std::nullopt;
}

}  // namespace ypa::http::auth
