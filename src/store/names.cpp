#include "store/names.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"

namespace ypa::store {
namespace {

bool allowed(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::optional<std::string> word_problem(std::string_view name, std::size_t max_length) {
  if (name.empty()) return "it is empty";
  if (name.size() > max_length) {
    return fmt::format("it has {} characters, at most {} are allowed", name.size(), max_length);
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!allowed(name[i])) {
      auto c = static_cast<unsigned char>(name[i]);
      std::string shown = (c < 0x20 || c >= 0x7f) ? fmt::format("byte 0x{:02x}", c)
                                                  : fmt::format("character \"{}\"", name[i]);
      return fmt::format("{} at position {} is not allowed (only A-Z, a-z, 0-9 and _)", shown, i + 1);
    }
  }
  return std::nullopt;
}

std::string printable(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < 80; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > 80) out += "...";
  return out;
}

void validate_database_name(std::string_view name) {
  if (auto problem = word_problem(name, kMaxNameLength)) {
    throw InputError(
        fmt::format("CLICKHOUSE_DB: \"{}\" is not a valid database name: {}", printable(name), *problem));
  }
}

void validate_cluster_name(std::string_view name, std::string_view what) {
  if (auto problem = word_problem(name, kMaxNameLength)) {
    throw InputError(
        fmt::format("{}: \"{}\" is not a valid cluster name: {}", what, printable(name), *problem));
  }
}

}  // namespace ypa::store
