// Request parameters read the way django-filter, DRF's OrderingFilter and LimitOffsetPagination read
// them: the same accepted spellings, the same "ignore and use the default" cases and the same
// validation messages, collected per parameter into DRF's 400 body {"param": ["message"]}.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "http/query_string.hpp"
#include "store/api_queries.hpp"

namespace ypa::http {

inline constexpr std::string_view kInvalidNumber = "Enter a number.";
inline constexpr std::string_view kInvalidDateTime = "Enter a valid date/time.";
inline constexpr std::string_view kInvalidRunId = "Enter a valid run id: 1 to 64 letters, digits or underscores.";
inline constexpr std::string_view kNullCharacters = "Null characters are not allowed.";

// Validation errors in the order the filters are declared (the order DRF renders them in).
class FormErrors {
 public:
  void add(std::string_view param, std::string message);
  bool empty() const { return errors_.empty(); }
  nlohmann::ordered_json to_json() const;

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> errors_;
};

// A parsed decimal the way Python's Decimal reads it; `id` is set only for an integral value that
// fits an id column (UInt32), otherwise the value matches no row.
struct DecimalValue {
  std::optional<std::uint32_t> id;
};
// nullopt when `text` is not a finite decimal (Django's DecimalField).
std::optional<DecimalValue> parse_decimal(std::string_view text);

// django-filter NumberFilter on an id: nullopt when absent or blank; otherwise the ids to match (empty:
// matches nothing). `param__in` variants take comma-separated values, blank items ignored.
std::optional<std::vector<std::uint32_t>> number_filter(const QueryParams& q, std::string_view param, FormErrors& e);
std::optional<std::vector<std::uint32_t>> number_in_filter(const QueryParams& q, std::string_view param,
                                                           FormErrors& e);
// CharFilter: the stripped value, nullopt when absent or blank.
std::optional<std::string> char_filter(const QueryParams& q, std::string_view param, FormErrors& e);
std::optional<std::vector<std::string>> char_in_filter(const QueryParams& q, std::string_view param, FormErrors& e);
// ChoiceFilter: "Select a valid choice. X is not one of the available choices."
std::optional<std::string> choice_filter(const QueryParams& q, std::string_view param,
                                         const std::vector<std::string>& choices, FormErrors& e);
std::optional<std::vector<std::string>> choice_in_filter(const QueryParams& q, std::string_view param,
                                                         const std::vector<std::string>& choices, FormErrors& e);

// An ISO 8601 date-time (Django's parse_datetime) or a bare YYYY-MM-DD; naive values are in `zone`.
struct Instant {
  EpochSeconds seconds = 0;
  int microseconds = 0;
};
std::optional<Instant> parse_datetime(std::string_view text, const TimeZone& zone);
// `param__gte` / `param__lte` into inclusive whole-second bounds (an impossible range matches nothing).
store::BucketBounds bucket_bounds(const QueryParams& q, std::string_view gte_param, std::string_view lte_param,
                                  const TimeZone& zone, FormErrors& e);

// ?run_id= (default live), checked like every run id (SPEC §8).
std::string run_id_param(const QueryParams& q, FormErrors& e);

// OrderingFilter: comma-separated fields, '-' for descending, unknown ones dropped, default when none
// is left.
std::vector<store::OrderTerm> ordering_param(const QueryParams& q, const std::vector<std::string>& valid,
                                             const std::vector<store::OrderTerm>& fallback);

// LimitOffsetPagination's reading of limit (strictly positive, capped; anything else the default) and
// offset (non-negative; anything else 0).
struct PageRequest {
  std::uint64_t limit = 100;
  std::uint64_t offset = 0;
};
inline constexpr std::uint64_t kDefaultLimit = 100;
inline constexpr std::uint64_t kMaxLimit = 10000;
PageRequest page_param(const QueryParams& q);
// Python's int() on a query value: optional sign, digits with single underscores between them,
// surrounding whitespace. nullopt when it is not an integer; values past 10^18 are clamped there.
std::optional<std::int64_t> python_int(std::string_view text);

// {"count", "next", "previous", "results"} links: absolute URLs on `base` (scheme://host/path) with the
// request's other parameters, re-encoded as DRF does.
std::optional<std::string> next_link(const std::string& base, const QueryParams& q, const PageRequest& page,
                                     std::uint64_t count);
std::optional<std::string> previous_link(const std::string& base, const QueryParams& q, const PageRequest& page);

}  // namespace ypa::http
