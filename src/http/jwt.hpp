// Access tokens of djangorestframework-simplejwt (HS256, the Django SECRET_KEY) verified without the
// user table, like its JWTStatelessUserAuthentication: same checks, same order, same 401 bodies.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/time.hpp"

namespace ypa::http {

// The challenge simplejwt's authenticator sends with every 401.
inline constexpr std::string_view kWwwAuthenticate = "Bearer realm=\"api\"";

struct AuthOutcome {
  enum class Kind { kAnonymous, kAuthenticated, kRejected };
  Kind kind = Kind::kAnonymous;
  std::string user_id;          // kAuthenticated: the user_id claim as text
  nlohmann::ordered_json body;  // kRejected: the 401 body
};

// `authorization`: the Authorization header, nullopt when absent. No header or another scheme is
// anonymous (DRF then answers "credentials were not provided"); a Bearer header is either a valid
// access token or rejected with simplejwt's body. `now` is Unix seconds.
AuthOutcome authenticate_bearer(std::optional<std::string_view> authorization, std::string_view secret,
                                EpochSeconds now);

// Mints a token the way simplejwt does (for tests and examples): payload as given, HS256.
std::string sign_hs256(const nlohmann::ordered_json& payload, std::string_view secret);

// base64url without padding, and its inverse (nullopt for characters outside the alphabet).
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace ypa::http
