// Run ids (SPEC §8): `^[A-Za-z0-9_]{1,64}$`, checked before any run id reaches SQL text, by every
// front end (CLI and API) through this one function.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ypa::store {

inline constexpr std::size_t kMaxRunIdLength = 64;
// The production run; dropping it needs --force-live, promote_run normally writes it.
inline constexpr std::string_view kLiveRun = "live";

// Why `id` is not a valid run id, or nullopt when it is.
std::optional<std::string> run_id_problem(std::string_view id);
bool is_valid_run_id(std::string_view id);
// Throws InputError "<what>: <id shown safely> is not a valid run id: <reason>" (what: e.g. "--run-id").
void validate_run_id(std::string_view id, std::string_view what);

}  // namespace ypa::store
