// Access tokens of djangorestframework-simplejwt (HS256, the Django SECRET_KEY) verified without the
// user table, like its JWTStatelessUserAuthentication: same checks, same order, same 401 bodies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace ypa::http {

// The challenge simplejwt's authenticator sends with every 401.
inline constexpr std::string_view kWwwAuthenticate = "Bearer realm=\"api\"";

// The shortest API_JWT_SECRET `ypa serve` starts with: an HMAC key must be at least as long as the hash
// (RFC 7518 §3.2: 256 bits for HS256); PyJWT 2.10 and later warn below it.
inline constexpr std::size_t kMinSecretBytes = 32;

struct AuthOutcome {
  enum class Kind { kAnonymous, kAuthenticated, kRejected };
  Kind kind = Kind::kAnonymous;
  std::string user_id;          // kAuthenticated: the user_id claim as text
  nlohmann::ordered_json body;  // kRejected: the 401 body
};

// `authorization`: the Authorization header, nullopt when absent. No header or another scheme is
// anonymous (DRF then answers "credentials were not provided"); a Bearer header is either a valid
// access token or rejected with simplejwt's body. `now` is Unix seconds. Never throws on what the
// client sent: a token that would make simplejwt fail with a server error is rejected like an invalid one.
AuthOutcome authenticate_bearer(std::optional<std::string_view> authorization, std::string_view secret,
                                EpochSeconds now);

// simplejwt's ACCESS_TOKEN_LIFETIME and REFRESH_TOKEN_LIFETIME (API_JWT_ACCESS_LIFETIME_S,
// API_JWT_REFRESH_LIFETIME_S), defaults as simplejwt's.
struct TokenLifetimes {
  EpochSeconds access_s = 300;
  EpochSeconds refresh_s = 86400;
};

struct TokenPair {
  std::string access;
  std::string refresh;
};

// What simplejwt's TokenObtainPairView returns for a user: RefreshToken.for_user(user) and its
// access_token, claims {token_type, exp, iat, jti, user_id} in that order, user_id the integer pk (as
// simplejwt 5.2 writes an integer pk), jti a random uuid4 hex, signed HS256 as PyJWT signs.
TokenPair issue_token_pair(std::int64_t user_id, std::string_view secret, EpochSeconds now,
                           const TokenLifetimes& lifetimes);

// RefreshToken.access_token for a refresh token already checked: a new access token whose exp is
// now + the access lifetime, with the refresh token's other claims (iat and user_id included) copied.
std::string access_from_refresh_claims(std::string_view refresh_payload_json, std::string_view secret,
                                       EpochSeconds now, const TokenLifetimes& lifetimes);

// A refresh token checked as simplejwt's RefreshToken(token) checks it (the same checks as an access
// token's, type "refresh"). On failure `error` is simplejwt's message ("Token is invalid or expired",
// "Token has wrong type", ...); on success `payload_json` is the payload and `user_id` the user_id claim
// when it is an integer or a string of digits.
struct RefreshCheck {
  bool valid = false;
  std::string error;
  std::string payload_json;
  std::optional<std::int64_t> user_id;
};
RefreshCheck check_refresh_token(std::string_view token, std::string_view secret, EpochSeconds now);

// Mints a token the way simplejwt does (for tests and examples): payload as given, HS256.
std::string sign_hs256(const nlohmann::ordered_json& payload, std::string_view secret);
// The same from JSON texts as written (tests build huge numbers and repeated keys with it).
std::string sign_hs256_text(std::string_view header_json, std::string_view payload_json,
                            std::string_view secret);

// base64url without padding (RFC 7515 §2), and its strict inverse: nullopt for any character outside the
// alphabet ('=' included), a length of 4n+1, or unused low bits that are not zero, so that each byte
// string has exactly one accepted spelling.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace ypa::http
