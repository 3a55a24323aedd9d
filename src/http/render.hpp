// JSON text exactly as Django REST Framework's JSONRenderer writes it (Python's json.dumps with
// separators (",", ":"), ensure_ascii=False, allow_nan=False, then U+2028 and U+2029 escaped), so that
// an answer is the same bytes, not only the same values: floats in Python's repr, the shortest
// digits that read back as the same double. nlohmann's own dump is not always shortest (Grisu2):
// 2963.7813684548328 where Python writes 2963.781368454833.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ypa::http {

// Compact JSON; invalid UTF-8 in strings replaced by U+FFFD; NaN and infinities as null.
std::string render_json(const nlohmann::ordered_json& value);

// Appends `v` as Python's repr(float) writes it: fixed notation for 1e-4 <= |v| < 1e16 (with ".0" for
// whole numbers), otherwise d.ddde+XX; v must be finite.
void append_python_float(std::string& out, double v);

}  // namespace ypa::http
