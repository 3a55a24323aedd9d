// Query strings the way Django and DRF read and rewrite them: parse_qsl with blank values kept, the last
// value of a repeated key wins, and links re-encoded like Python's urlencode(sorted(...)) so that
// `next`/`previous` URLs are byte for byte what LimitOffsetPagination builds.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ypa::http {

struct QueryParam {
  std::string key;
  std::string value;
};

class QueryParams {
 public:
  QueryParams() = default;
  // Splits on '&', skips empty pieces, a piece without '=' has an empty value; '+' is a space and
  // %XX are bytes, decoded as UTF-8 with invalid sequences replaced by U+FFFD.
  static QueryParams parse(std::string_view raw);

  // The last value given for `key` (Django's QueryDict.get), nullopt when absent.
  std::optional<std::string_view> get(std::string_view key) const;
  const std::vector<QueryParam>& items() const { return items_; }

  // Replaces every value of `key` by one value (appended when absent).
  void set(std::string_view key, std::string_view value);
  void remove(std::string_view key);
  // Keys sorted (stable, so a repeated key keeps its values' order), each part quote_plus-encoded.
  std::string encode_sorted() const;

 private:
  std::vector<QueryParam> items_;
};

// %-decoding ('+' as space when plus_as_space), then UTF-8 repair.
std::string percent_decode(std::string_view text, bool plus_as_space);
// Python's urllib.parse.quote_plus with safe='': letters, digits and _.-~ stay, space becomes '+'.
std::string quote_plus(std::string_view text);
// Invalid UTF-8 sequences replaced by U+FFFD, like Python's bytes.decode('utf-8', 'replace').
std::string repair_utf8(std::string_view text);

}  // namespace ypa::http
