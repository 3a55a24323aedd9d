#include "http/auth/token_views.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <map>

#include "core/errors.hpp"
#include "http/auth/accounts.hpp"
#include "http/auth/password.hpp"
#include "http/auth/python_json.hpp"
#include "http/names.hpp"
#include "http/query_string.hpp"
#include "http/render.hpp"
#include "postgres/connection.hpp"

namespace ypa::http::auth {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kNoActiveAccount = "No active account found with the given credentials";
constexpr const char* kUnavailable = "Service temporarily unavailable, try again later.";

EpochSeconds unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TokenAnswer answer(int status, Json body) {
  return TokenAnswer{status, std::move(body), {}};
}

// A 401 of simplejwt's views carries the challenge of their authenticate header.
TokenAnswer unauthorized(Json body) {
  TokenAnswer a = answer(401, std::move(body));
  a.headers.emplace_back("WWW-Authenticate", std::string(kWwwAuthenticate));
  return a;
}

// A request field as DRF's request.data holds it: absent, a string (form and multipart values), or any
// JSON value.
struct FieldValue {
  enum class Kind { kAbsent, kString, kJson, kFile };
  Kind kind = Kind::kAbsent;
  std::string text;
  nlohmann::json json;
};

struct ParsedBody {
  std::map<std::string, FieldValue, std::less<>> fields;
  std::optional<TokenAnswer> error;  // a 400 or 415 before any field is looked at
};

// "application/json; charset=utf-8" -> {"application", "json"}; DRF's _MediaType, '*' matching anything.
bool media_type_matches(std::string_view parser_type, std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  auto split = [](std::string_view t) {
    auto slash = t.find('/');
    return slash == std::string_view::npos ? std::pair{t, std::string_view()}
                                           : std::pair{t.substr(0, slash), t.substr(slash + 1)};
  };
  auto [pm, ps] = split(parser_type);
  auto [cm, cs] = split(type);
  if (cm != "*" && cm != pm) return false;
  if (cs != "*" && cs != ps) return false;
  return true;
}

std::string python_type_name(const nlohmann::json& v) {
  if (v.is_null()) return "NoneType";
  if (v.is_boolean()) return "bool";
  if (v.is_number_integer()) return "int";
  if (v.is_number_float()) return "float";
  if (v.is_string()) return "str";
  if (v.is_array()) return "list";
  return "dict";
}

ParsedBody parse_body(const TokenRequest& r) {
  ParsedBody out;
  // DRF reads no stream for an empty body, whatever its type: every field is then absent.
  if (r.body.empty() && r.multipart.empty()) return out;
  const std::string type = r.content_type.value_or("");
  if (media_type_matches("application/json", type)) {
    if (auto error = python_json_error(r.body)) {
      out.error = answer(400, Json{{"detail", "JSON parse error - " + *error}});
      return out;
    }
    auto parsed = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      // What Python reads and nlohmann does not (lone surrogates, invalid UTF-8): DRF's text would go on
      // with Python's own error, which is not reproduced for these.
      out.error = answer(400, Json{{"detail", "JSON parse error - the body is not valid JSON"}});
      return out;
    }
    if (parsed.is_null()) {
      out.error = answer(400, Json{{"non_field_errors", Json::array({"No data provided"})}});
      return out;
    }
    if (!parsed.is_object()) {
      out.error =
          answer(400, Json{{"non_field_errors",
                            Json::array({fmt::format("Invalid data. Expected a dictionary, but got {}.",
                                                     python_type_name(parsed))})}});
      return out;
    }
    for (auto& [key, value] : parsed.items()) {
      FieldValue f;
      f.kind = FieldValue::Kind::kJson;
      f.json = value;
      out.fields[key] = std::move(f);
    }
    return out;
  }
  if (media_type_matches("application/x-www-form-urlencoded", type)) {
    const QueryParams form = QueryParams::parse(r.body);
    for (const auto& item : form.items()) {
      FieldValue f;
      f.kind = FieldValue::Kind::kString;
      f.text = item.value;
      out.fields[item.key] = std::move(f);  // the last value of a repeated key, as QueryDict[key]
    }
    return out;
  }
  if (media_type_matches("multipart/form-data", type)) {
    for (const auto& part : r.multipart) {
      FieldValue f;
      f.kind = part.is_file ? FieldValue::Kind::kFile : FieldValue::Kind::kString;
      f.text = repair_utf8(part.value);
      out.fields[part.name] = std::move(f);
    }
    return out;
  }
  out.error = answer(415, Json{{"detail", fmt::format("Unsupported media type \"{}\" in request.", type)}});
  return out;
}

// DRF's CharField(allow_blank=False, trim_whitespace=True).run_validation: the value, or its message.
struct CharResult {
  std::optional<std::string> value;
  std::string error;
};

CharResult char_field(const FieldValue& f) {
  CharResult r;
  // str(data), for the blank check that comes before any other.
  std::string as_text;
  switch (f.kind) {
    case FieldValue::Kind::kAbsent:
      r.error = "This field is required.";
      return r;
    case FieldValue::Kind::kString:
    case FieldValue::Kind::kFile:
      as_text = f.text;
      break;
    case FieldValue::Kind::kJson:
      if (f.json.is_string()) {
        as_text = f.json.get<std::string>();
      } else if (f.json.is_null()) {
        as_text = "None";
      } else if (f.json.is_boolean()) {
        as_text = f.json.get<bool>() ? "True" : "False";
      } else if (f.json.is_number_float()) {
        as_text.clear();
        append_python_float(as_text, f.json.get<double>());
      } else {
        as_text = f.json.dump();
      }
      break;
  }
  if (f.kind != FieldValue::Kind::kFile && python_strip(as_text).empty()) {
    r.error = "This field may not be blank.";
    return r;
  }
  if (f.kind == FieldValue::Kind::kJson && f.json.is_null()) {
    r.error = "This field may not be null.";
    return r;
  }
  const bool stringish = f.kind == FieldValue::Kind::kString ||
                         (f.kind == FieldValue::Kind::kJson &&
                          (f.json.is_string() || (f.json.is_number() && !f.json.is_boolean())));
  if (!stringish) {
    r.error = "Not a valid string.";
    return r;
  }
  std::string value = python_strip(as_text);
  if (value.find('\0') != std::string::npos) {
    r.error = "Null characters are not allowed.";
    return r;
  }
  r.value = std::move(value);
  return r;
}

// The serializer's fields, in declaration order: their values, or DRF's 400 body.
std::optional<std::vector<std::string>> validate_fields(const ParsedBody& body,
                                                        std::vector<const char*> names, Json& errors) {
  std::vector<std::string> values;
  errors = Json::object();
  static const FieldValue kAbsent;
  for (const char* name : names) {
    auto it = body.fields.find(name);
    CharResult r = char_field(it == body.fields.end() ? kAbsent : it->second);
    if (r.value) {
      values.push_back(std::move(*r.value));
    } else {
      errors[name] = Json::array({r.error});
    }
  }
  if (!errors.empty()) return std::nullopt;
  return values;
}

// UTF-8 sequences of the code points Python's str.isspace() is true for, beyond ASCII.
constexpr std::string_view kUnicodeSpaces[] = {"\xc2\x85",     "\xc2\xa0",     "\xe1\x9a\x80", "\xe2\x80\x80",
                                               "\xe2\x80\x81", "\xe2\x80\x82", "\xe2\x80\x83", "\xe2\x80\x84",
                                               "\xe2\x80\x85", "\xe2\x80\x86", "\xe2\x80\x87", "\xe2\x80\x88",
                                               "\xe2\x80\x89", "\xe2\x80\x8a", "\xe2\x80\xa8", "\xe2\x80\xa9",
                                               "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80"};

std::size_t space_at_start(std::string_view s) {
  if (s.empty()) return 0;
  unsigned char c = static_cast<unsigned char>(s.front());
  if ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20)) return 1;
  for (auto sp : kUnicodeSpaces) {
    if (s.substr(0, sp.size()) == sp) return sp.size();
  }
  return 0;
}

std::size_t space_at_end(std::string_view s) {
  if (s.empty()) return 0;
  unsigned char c = static_cast<unsigned char>(s.back());
  if ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20)) return 1;
  for (auto sp : kUnicodeSpaces) {
    if (s.size() >= sp.size() && s.substr(s.size() - sp.size()) == sp) return sp.size();
  }
  return 0;
}

std::string with_timeout(const std::string& conninfo) {
  return with_connect_timeout(conninfo, std::chrono::seconds(2));
}

}  // namespace

std::string python_strip(std::string_view text) {
  while (std::size_t n = space_at_start(text)) text.remove_prefix(n);
  while (std::size_t n = space_at_end(text)) text.remove_suffix(n);
  return std::string(text);
}

TokenViews::TokenViews(TokenSettings settings)
    : settings_(std::move(settings)), throttle_(settings_.max_failures, settings_.window) {}

TokenAnswer TokenViews::obtain_pair(const TokenRequest& request) {
  // DRF checks throttles before it reads the body.
  if (auto wait = throttle_.wait_seconds(request.client_address, LoginThrottle::Clock::now()); wait > 0) {
    TokenAnswer a =
        answer(429, Json{{"detail", fmt::format("Request was throttled. Expected available in {} second{}.",
                                                wait, wait == 1 ? "" : "s")}});
    a.headers.emplace_back("Retry-After", std::to_string(wait));
    return a;
  }
  ParsedBody body = parse_body(request);
  if (body.error) return *body.error;
  Json errors;
  auto values = validate_fields(body, {"username", "password"}, errors);
  if (!values) return answer(400, errors);
  const std::string& username = (*values)[0];
  const std::string& password = (*values)[1];

  std::optional<Account> account;
  try {
    postgres::Connection conn(with_timeout(settings_.postgres_conninfo));
    account = find_account(conn, settings_.user_table, username);
  } catch (const Error& e) {
    spdlog::warn("POST /api/token/: PostgreSQL: {}", e.what());
    return answer(503, Json{{"detail", kUnavailable}});
  }
  bool ok = false;
  if (!account) {
    burn_default_hash(password);
  } else {
    switch (check_password(password, account->password)) {
      case PasswordCheck::kMatch:
        ok = account->is_active;
        break;
      case PasswordCheck::kMismatch:
        break;
      case PasswordCheck::kUnusable:
        spdlog::warn("POST /api/token/: user id {} has no usable password (\"!\"): login refused",
                     account->id);
        break;
      case PasswordCheck::kOtherHasher:
        spdlog::warn(
            "POST /api/token/: user id {} has a password hashed with \"{}\"; ypa serve checks only "
            "Django's default pbkdf2_sha256 (set the password again with that hasher): login refused",
            account->id, hasher_of(account->password));
        break;
      case PasswordCheck::kMalformed:
        spdlog::warn("POST /api/token/: user id {} has a malformed pbkdf2_sha256 hash: login refused",
                     account->id);
        break;
    }
  }
  if (!ok) {
    throttle_.record_failure(request.client_address, LoginThrottle::Clock::now());
    return unauthorized(Json{{"detail", kNoActiveAccount}});
  }
  TokenPair pair = issue_token_pair(account->id, settings_.secret, unix_now(), settings_.lifetimes);
  return answer(200, Json{{"refresh", pair.refresh}, {"access", pair.access}});
}

TokenAnswer TokenViews::refresh(const TokenRequest& request) {
  ParsedBody body = parse_body(request);
  if (body.error) return *body.error;
  Json errors;
  auto values = validate_fields(body, {"refresh"}, errors);
  if (!values) return answer(400, errors);
  const EpochSeconds now = unix_now();
  RefreshCheck check = check_refresh_token((*values)[0], settings_.secret, now);
  if (!check.valid) return unauthorized(Json{{"detail", check.error}, {"code", "token_not_valid"}});
  // As newer simplejwt does (and 5.2 does not): an account made inactive or deleted since the login gets
  // no new access token.
  std::optional<Account> account;
  try {
    postgres::Connection conn(with_timeout(settings_.postgres_conninfo));
    if (check.user_id) account = find_account(conn, settings_.user_table, *check.user_id);
  } catch (const Error& e) {
    spdlog::warn("POST /api/token/refresh/: PostgreSQL: {}", e.what());
    return answer(503, Json{{"detail", kUnavailable}});
  }
  if (!account || !account->is_active) {
    return unauthorized(Json{{"detail", kNoActiveAccount}, {"code", "no_active_account"}});
  }
  return answer(200, Json{{"access", access_from_refresh_claims(check.payload_json, settings_.secret, now,
                                                                settings_.lifetimes)}});
}

}  // namespace ypa::http::auth
