// The error Python 3.11's json.loads (its C scanner, strict) raises for a text, as DRF's JSONParser
// reports it ("Expecting value: line 1 column 1 (char 0)"), so that a malformed login body gets DRF's
// 400 text exactly. Positions count code points, as Python's str indices do.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ypa::http::auth {

// nullopt when Python reads `text` (UTF-8) as JSON; else str(JSONDecodeError) or DRF's ValueError text
// for NaN and Infinity ("Out of range float values are not JSON compliant: 'NaN'").
std::optional<std::string> python_json_error(std::string_view text);

}  // namespace ypa::http::auth
