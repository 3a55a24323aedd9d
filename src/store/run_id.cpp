#include "store/run_id.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"
#include "store/names.hpp"

namespace ypa::store {

std::optional<std::string> run_id_problem(std::string_view id) {
  return word_problem(id, kMaxRunIdLength);
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
