// Type-name parsing: turns "Nullable(DateTime('Asia/Tokyo'))" and friends into empty columns.
// Names come from the server (or a fuzzer), so nesting depth and argument shapes are checked.
#include <fmt/format.h>

#include <charconv>
#include <vector>

#include "clickhouse/columns/array.hpp"
#include "clickhouse/columns/column.hpp"
#include "clickhouse/columns/date.hpp"
#include "clickhouse/columns/enum.hpp"
#include "clickhouse/columns/low_cardinality.hpp"
#include "clickhouse/columns/nothing.hpp"
#include "clickhouse/columns/nullable.hpp"
#include "clickhouse/columns/numeric.hpp"
#include "clickhouse/columns/string.hpp"

namespace ypa::clickhouse {
namespace {

constexpr int kMaxNesting = 8;
constexpr std::size_t kMaxFixedStringWidth = std::size_t{1} << 24;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void bad(std::string_view full, std::string_view why) {
  throw UsageError(fmt::format("column type '{}' is not supported: {}", full, why));
}

// Splits "a, 'x,y' = 1, B(c, d)" at top-level commas, honouring quotes and parentheses.
std::vector<std::string_view> split_args(std::string_view args, std::string_view full) {
  std::vector<std::string_view> out;
  int depth = 0;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const char c = args[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '\'') {
        quoted = false;
      }
    } else if (c == '\'') {
      quoted = true;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth < 0) bad(full, "unbalanced parentheses");
    } else if (c == ',' && depth == 0) {
      out.push_back(trim(args.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (quoted || depth != 0) bad(full, "unbalanced quotes or parentheses");
  out.push_back(trim(args.substr(start)));
  return out;
}

// 'text' with backslash escapes -> text; returns the rest after the closing quote.
std::string_view parse_quoted(std::string_view s, std::string& out, std::string_view full) {
  if (s.empty() || s.front() != '\'') bad(full, "expected a quoted string");
  out.clear();
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[++i];
    } else if (s[i] == '\'') {
      return s.substr(i + 1);
    } else {
      out += s[i];
    }
  }
  bad(full, "unterminated quoted string");
}

template <typename T>
ColumnPtr make_enum(std::string_view name, std::string_view args, std::string_view full) {
  std::map<T, std::string> names;
  for (const std::string_view item : split_args(args, full)) {
    std::string label;
    std::string_view rest = trim(parse_quoted(item, label, full));
    if (rest.empty() || rest.front() != '=') bad(full, "expected 'name' = value");
    rest = trim(rest.substr(1));
    long long value = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (ec != std::errc() || end != rest.data() + rest.size()) bad(full, "bad enum value");
    if (value < std::numeric_limits<T>::min() || value > std::numeric_limits<T>::max()) {
      bad(full, "enum value out of range");
    }
    names[static_cast<T>(value)] = label;
  }
  return std::make_shared<ColumnEnum<T>>(fmt::format("{}({})", name, args), std::move(names));
}

ColumnPtr create(std::string_view type, std::string_view full, int depth) {
  if (depth > kMaxNesting) bad(full, "nested too deeply");
  type = trim(type);
  const std::size_t open = type.find('(');
  std::string_view name = type;
  std::string_view args;
  if (open != std::string_view::npos) {
    if (type.back() != ')') bad(full, "missing closing parenthesis");
    name = trim(type.substr(0, open));
    args = trim(type.substr(open + 1, type.size() - open - 2));
  }
  const bool has_args = open != std::string_view::npos;
  if (!has_args) {
    if (name == "UInt8") return std::make_shared<ColumnUInt8>();
    if (name == "UInt16") return std::make_shared<ColumnUInt16>();
    if (name == "UInt32") return std::make_shared<ColumnUInt32>();
    if (name == "UInt64") return std::make_shared<ColumnUInt64>();
    if (name == "Int8") return std::make_shared<ColumnInt8>();
    if (name == "Int16") return std::make_shared<ColumnInt16>();
    if (name == "Int32") return std::make_shared<ColumnInt32>();
    if (name == "Int64") return std::make_shared<ColumnInt64>();
    if (name == "Float32") return std::make_shared<ColumnFloat32>();
    if (name == "Float64") return std::make_shared<ColumnFloat64>();
    if (name == "String") return std::make_shared<ColumnString>();
    if (name == "Date") return std::make_shared<ColumnDate>();
    if (name == "DateTime") return std::make_shared<ColumnDateTime>();
    if (name == "Nothing") return std::make_shared<ColumnNothing>();
    bad(full, "unknown type");
  }
  if (name == "Nullable") {
    auto nested = create(args, full, depth + 1);
    if (dynamic_cast<ColumnNullable*>(nested.get()) != nullptr) bad(full, "Nullable inside Nullable");
    return std::make_shared<ColumnNullable>(std::move(nested));
  }
  if (name == "Array") return std::make_shared<ColumnArray>(create(args, full, depth + 1));
  if (name == "LowCardinality") {
    auto inner = create(args, full, depth + 1);
    if (auto* n = dynamic_cast<ColumnNullable*>(inner.get())) {
      return std::make_shared<ColumnLowCardinality>(n->nested().clone_empty(), true);
    }
    return std::make_shared<ColumnLowCardinality>(std::move(inner), false);
  }
  if (name == "DateTime") {
    std::string zone;
    if (!trim(parse_quoted(args, zone, full)).empty()) bad(full, "expected DateTime('zone')");
    return std::make_shared<ColumnDateTime>(zone);
  }
  if (name == "FixedString") {
    std::size_t width = 0;
    const auto [end, ec] = std::from_chars(args.data(), args.data() + args.size(), width);
    if (ec != std::errc() || end != args.data() + args.size() || width == 0 || width > kMaxFixedStringWidth) {
      bad(full, "bad FixedString width");
    }
    return std::make_shared<ColumnFixedString>(width);
  }
  if (name == "Enum8") return make_enum<std::int8_t>(name, args, full);
  if (name == "Enum16") return make_enum<std::int16_t>(name, args, full);
  bad(full, "unknown type");
}

}  // namespace

ColumnPtr create_column(std::string_view type_name) {
  return create(type_name, type_name, 0);
}

}  // namespace ypa::clickhouse
