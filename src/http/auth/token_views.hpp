// POST /api/token/ and /api/token/refresh/: djangorestframework-simplejwt's TokenObtainPairView and
// TokenRefreshView over Django's auth_user table. The request body is read as DRF's parsers read it
// (JSON, form, multipart), the fields validated as DRF's CharField validates them, and every answer is
// simplejwt's status and body. Failed logins are throttled per client address (throttle.hpp).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/auth/throttle.hpp"
#include "http/jwt.hpp"

namespace ypa::http::auth {

struct TokenSettings {
  std::string secret;               // API_JWT_SECRET
  TokenLifetimes lifetimes;         // API_JWT_ACCESS_LIFETIME_S, API_JWT_REFRESH_LIFETIME_S
  int max_failures = 5;             // API_LOGIN_MAX_FAILURES
  std::chrono::seconds window{60};  // API_LOGIN_WINDOW_S
  std::string postgres_conninfo;    // empty: libpq's PG* variables
  std::string user_table = "auth_user";
};

// One field of a multipart body; a part with a file name is a file, which is not a string.
struct FormPart {
  std::string name;
  std::string value;
  bool is_file = false;
};

struct TokenRequest {
  std::optional<std::string> content_type;  // the Content-Type header, nullopt when absent
  std::string body;
  std::vector<FormPart> multipart;  // the parts, when the body is multipart/form-data
  std::string client_address;
};

struct TokenAnswer {
  int status = 200;
  nlohmann::ordered_json body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class TokenViews {
 public:
  explicit TokenViews(TokenSettings settings);

  TokenAnswer obtain_pair(const TokenRequest& request);
  TokenAnswer refresh(const TokenRequest& request);

 private:
  TokenSettings settings_;
  LoginThrottle throttle_;
};

// Python's str.strip(): the whitespace str.isspace() knows, ASCII and Unicode, at both ends of UTF-8 text.
std::string python_strip(std::string_view text);

}  // namespace ypa::http::auth
