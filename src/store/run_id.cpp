#include "store/run_id.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"

namespace ypa::store {
namespace {

bool allowed(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// The id as it may be printed: control and non-ASCII bytes as \xNN so a hostile id cannot garble the
// one-line error message, and long ids shortened.
std::string printable(std::string_view id) {
  std::string out;
  for (std::size_t i = 0; i < id.size() && i < 80; ++i) {
    auto c = static_cast<unsigned char>(id[i]);
    if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (id.size() > 80) out += "...";
  return out;
}

}  // namespace

std::optional<std::string> run_id_problem(std::string_view id) {
  if (id.empty()) return "it is empty";
  if (id.size() > kMaxRunIdLength) {
    return fmt::format("it has {} characters, at most {} are allowed", id.size(), kMaxRunIdLength);
  }
  for (std::size_t i = 0; i < id.size(); ++i) {
    if (!allowed(id[i])) {
      auto c = static_cast<unsigned char>(id[i]);
      std::string shown =
          (c < 0x20 || c >= 0x7f) ? fmt::format("byte 0x{:02x}", c) : fmt::format("character \"{}\"", id[i]);
      return fmt::format("{} at position {} is not allowed (only A-Z, a-z, 0-9 and _)", shown, i + 1);
    }
  }
  return std::nullopt;
}

bool is_valid_run_id(std::string_view id) {
  return !run_id_problem(id).has_value();
}

void validate_run_id(std::string_view id, std::string_view what) {
  if (auto problem = run_id_problem(id)) {
    throw InputError(fmt::format("{}: \"{}\" is not a valid run id: {}", what, printable(id), *problem));
  }
}

}  // namespace ypa::store
