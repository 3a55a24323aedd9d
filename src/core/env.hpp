// Typed, validated reads of environment variables (SPEC §11). A malformed value is an InputError that
// names the variable, never a silent fallback to the default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ypa::env {

// The variable's value, or nullopt when unset or empty.
std::optional<std::string> get(const char* name);
std::string get_or(const char* name, std::string_view fallback);
std::int64_t get_int(const char* name, std::int64_t fallback, std::int64_t min, std::int64_t max);
double get_double(const char* name, double fallback, double min, double max);
// 1/0, true/false, yes/no, on/off (any case); fallback when unset or empty.
bool get_bool(const char* name, bool fallback);

// Parsers shared with command-line flags; `what` names the input in the error message.
std::int64_t parse_int(std::string_view text, std::string_view what, std::int64_t min, std::int64_t max);
double parse_double(std::string_view text, std::string_view what, double min, double max);
std::vector<std::int64_t> parse_int_list(std::string_view text, std::string_view what, std::int64_t min,
                                         std::int64_t max);

bool parse_bool(std::string_view text, std::string_view what);

// A duration such as "90s", "15m", "2h" or "1d" (or "0s") in seconds; `what` names the input in the error.
std::int64_t parse_duration(std::string_view text, std::string_view what);

}  // namespace ypa::env
