// Token edges of http/jwt: base64url that accepts one spelling only, and time claims of any size or type
// judged as simplejwt (with PyJWT under it) judges them, without throwing. The expected answers follow
// Python's rules, stated at each case; tests/contract/jwt_edges_test.py asks the real simplejwt.
#include "http/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

namespace ypa::http {
namespace {

constexpr EpochSeconds kNow = 1'800'000'000;
constexpr const char* kSecret = "unit-test-secret-of-at-least-32-bytes";
constexpr const char* kHeader = R"({"alg":"HS256","typ":"JWT"})";

// Made by PyJWT 2.6: jwt.encode({"token_type": "access", "exp": 1800000600, "iat": 1800000000,
// "jti": "0123456789abcdef", "user_id": 42}, kSecret, algorithm=...).
constexpr const char* kPyJwtHs256 =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxODAwMDAwNjAwLCJpYXQiOjE4MDAwMDAwMDAsImp0aSI6IjAxMjM0NTY3ODlhYmNk"
    "ZWYiLCJ1c2"
    "VyX2lkIjo0Mn0.kP4GYtlFVAWBIkaS8chef0_QG_oKYtzn3MrBZKIVa3c";
constexpr const char* kPyJwtHs512 =
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9."
    "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxODAwMDAwNjAwLCJpYXQiOjE4MDAwMDAwMDAsImp0aSI6IjAxMjM0NTY3ODlhYmNk"
    "ZWYiLCJ1c2"
    "VyX2lkIjo0Mn0.3Qh54tdIwTLBsoywDf8DuWzYG-42LZfaLQWFq_ZaXQfUs85DMrkM9WdpkwMYMosi3T0igmrOZ3W5xhivZidcPw";

AuthOutcome::Kind check(const std::string& token) {
  return authenticate_bearer("Bearer " + token, kSecret, kNow).kind;
}

constexpr auto kAccepted = AuthOutcome::Kind::kAuthenticated;
constexpr auto kRejected = AuthOutcome::Kind::kRejected;

// A payload with one claim written as a raw JSON literal.
std::string payload_with(const std::string& claim, const std::string& literal) {
  std::string p = R"({"token_type":"access","jti":"j","user_id":42)";
  if (claim != "exp") p += R"(,"exp":1800000600)";
  if (claim != "iat") p += R"(,"iat":1799999000)";
  return p + ",\"" + claim + "\":" + literal + "}";
}

// A MAC over segments as written, junk included: what only the secret's holder could make.
std::string resign(const std::string& signing_input) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret, static_cast<int>(std::string(kSecret).size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), out, &len);
  return signing_input + "." + base64url_encode(std::string(reinterpret_cast<const char*>(out), len));
}

TEST(Base64urlTest, Rfc4648VectorsAndEveryLengthRoundTrip) {
  // RFC 4648 §10, padding removed (RFC 7515 §2), and the URL alphabet's last two characters.
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(base64url_encode(bytes), text);
    EXPECT_EQ(base64url_decode(text), std::optional<std::string>(bytes)) << text;
  }
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes) << n;
    bytes += static_cast<char>(n * 37 + 255);
  }
}

TEST(Base64urlTest, RefusesEverySpellingButTheEncodersOwn) {
  // Padding, junk after it (the old decoder stopped at the first '='), characters outside the alphabet
  // (PyJWT's decoder skips them), the standard alphabet's '+' and '/', 4n+1 characters, and unused low
  // bits that are set ("Zh" and "Zm9" decode to the same bytes as "Zg" and "Zm8").
  for (const char* text :
       {"Zg==", "Zg=", "=", "Zm9v=", "Zm9v=junk", "Zm9vYg=AAAA", "Zm9v!", "Zm9v%3D", "Zm+v", "Zm/v", "Zm9 v",
        "Zm9v\n", "Z", "Zm9vY", "Zh", "Zm9", "Zm9vYh", "Zm.v", "Zm9v\xc3\xa9"}) {
    EXPECT_EQ(base64url_decode(text), std::nullopt) << text;
  }
}

TEST(JwtEdgesTest, TokensMintedByPyJwt) {
  EXPECT_EQ(check(kPyJwtHs256), kAccepted);
  EXPECT_EQ(authenticate_bearer(std::string("Bearer ") + kPyJwtHs256, kSecret, kNow).user_id, "42");
  // Our own minting gives PyJWT's bytes.
  EXPECT_EQ(
      sign_hs256_text(kHeader,
                      R"({"token_type":"access","exp":1800000600,"iat":1800000000,"jti":"0123456789abcdef",)"
                      R"("user_id":42})",
                      kSecret),
      kPyJwtHs256);
  // HS512 with a valid MAC: the algorithm is pinned to HS256.
  EXPECT_EQ(check(kPyJwtHs512), kRejected);
  EXPECT_EQ(
      authenticate_bearer(std::string("Bearer ") + kPyJwtHs256, "another-secret-that-is-long-enough", kNow)
          .kind,
      kRejected);
  // After exp (no leeway), and before iat.
  EXPECT_EQ(authenticate_bearer(std::string("Bearer ") + kPyJwtHs256, kSecret, 1'800'000'600).kind,
            kRejected);
  EXPECT_EQ(authenticate_bearer(std::string("Bearer ") + kPyJwtHs256, kSecret, 1'799'999'999).kind,
            kRejected);
}

TEST(JwtEdgesTest, TrailingJunkInEachSegment) {
  const std::string token = kPyJwtHs256;
  const auto dot1 = token.find('.');
  const auto dot2 = token.rfind('.');
  for (std::string junk : {"=", "==", "=AAAA", "!", "*x", "%3D"}) {
    for (auto end : {dot1, dot2, token.size()}) {
      std::string t = token.substr(0, end) + junk + token.substr(end);
      EXPECT_EQ(check(t), kRejected) << t;
      if (end != token.size()) {
        // Even with a MAC over the junk, which PyJWT would take for "=" and "==".
        EXPECT_EQ(check(resign(t.substr(0, t.rfind('.')))), kRejected) << t;
      }
    }
  }
  EXPECT_EQ(check(token + ".e30"), kRejected);
  // The payload changed, the signature kept.
  std::string tampered =
      token.substr(0, dot1 + 1) +
      base64url_encode(R"({"token_type":"access","exp":1800000600,"jti":"x","user_id":1})") +
      token.substr(dot2);
  EXPECT_EQ(check(tampered), kRejected);
}

TEST(JwtEdgesTest, HeaderChecks) {
  const std::string payload = payload_with("nbf", "1");
  EXPECT_EQ(check(sign_hs256_text(kHeader, payload, kSecret)), kAccepted);
  EXPECT_EQ(check(base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(payload) + "."), kRejected);
  EXPECT_EQ(check(sign_hs256_text(R"({"alg":"none"})", payload, kSecret)), kRejected);
  EXPECT_EQ(check(sign_hs256_text(R"({"typ":"JWT"})", payload, kSecret)), kRejected);
  EXPECT_EQ(check(sign_hs256_text(R"({"alg":["HS256"]})", payload, kSecret)), kRejected);
  // RFC 7797's unencoded payload, which PyJWT refuses without a detached payload.
  EXPECT_EQ(check(sign_hs256_text(R"({"alg":"HS256","b64":false})", payload, kSecret)), kRejected);
  EXPECT_EQ(check(sign_hs256_text(R"({"alg":"HS256","b64":true})", payload, kSecret)), kAccepted);
  // Python's json reads a 400-digit integer anywhere; its limit is 4300 digits.
  EXPECT_EQ(check(sign_hs256_text(R"({"alg":"HS256","x":1)" + std::string(400, '0') + "}", payload, kSecret)),
            kAccepted);
  EXPECT_EQ(check(sign_hs256_text(R"({"alg":"HS256","x":)" + std::string(4301, '1') + "}", payload, kSecret)),
            kRejected);
  EXPECT_EQ(check(sign_hs256_text("[]", payload, kSecret)), kRejected);
}

TEST(JwtEdgesTest, TimeClaimsOfAnySizeAndType) {
  const std::string huge = "1" + std::string(400, '0');
  const std::string too_long = std::string(4301, '1');
  struct Case {
    const char* claim;
    std::string literal;
    bool accepted;
  };
  const Case cases[] = {
      // exp: PyJWT compares int(exp) with now; simplejwt then needs a datetime (before year 10000).
      {"exp", "1800000001", true},
      {"exp", "1800000000", false},
      {"exp", "1800000000.9", false},
      {"exp", "1800000001.5", true},
      {"exp", "253402300799", true},
      {"exp", "253402300800", false},
      {"exp", huge, false},
      {"exp", "-" + huge, false},
      {"exp", too_long, false},
      {"exp", "1e300", false},
      {"exp", "1e400", false},  // float infinity in Python: int() raises OverflowError
      {"exp", "-1e400", false},
      {"exp", "\"1800000600\"", false},  // PyJWT takes it, simplejwt's datetime does not
      {"exp", "\"" + huge + "\"", false},
      {"exp", "true", false},
      {"exp", "null", false},
      {"exp", "[]", false},
      {"exp", "{}", false},
      // iat: int(iat) must work, then the claim itself is compared with now.
      {"iat", "1800000000", true},
      {"iat", "1800000001", false},
      {"iat", "1800000000.5", false},
      {"iat", "-1", true},
      {"iat", huge, false},
      {"iat", "-" + huge, true},
      {"iat", "-" + too_long, false},
      {"iat", "-1e300", true},
      {"iat", "1e400", false},
      {"iat", "-1e400", false},
      {"iat", "true", true},
      {"iat", "\"1\"", false},  // a string compared with a number: TypeError
      {"iat", "\"" + huge + "\"", false},
      {"iat", "null", false},
      // nbf: int(nbf) compared with now; strings parse like Python's int().
      {"nbf", "1800000000", true},
      {"nbf", "1800000000.9", true},
      {"nbf", "1800000001", false},
      {"nbf", huge, false},
      {"nbf", "-" + huge, true},
      {"nbf", "-" + too_long, false},
      {"nbf", "-1e300", true},
      {"nbf", "-1e400", false},
      {"nbf", "\"1800000000\"", true},
      {"nbf", "\" -1_000 \"", true},
      {"nbf", "\"+7\"", true},
      {"nbf", "\"" + huge + "\"", false},
      {"nbf", "\"-" + huge + "\"", true},
      {"nbf", "\"-" + too_long + "\"", false},
      {"nbf", "\"1__0\"", false},
      {"nbf", "\"_1\"", false},
      {"nbf", "\"1_\"", false},
      {"nbf", "\"0x10\"", false},
      {"nbf", "\"1.5\"", false},
      {"nbf", "\"\"", false},
      {"nbf", "\"-\"", false},
      {"nbf", "false", true},
      {"nbf", "[]", false},
  };
  for (const auto& c : cases) {
    auto token = sign_hs256_text(kHeader, payload_with(c.claim, c.literal), kSecret);
    AuthOutcome o;
    EXPECT_NO_THROW(o = authenticate_bearer("Bearer " + token, kSecret, kNow)) << c.claim << " " << c.literal;
    EXPECT_EQ(o.kind, c.accepted ? kAccepted : kRejected) << c.claim << " = " << c.literal.substr(0, 40);
    if (!c.accepted) {
      EXPECT_EQ(o.body["messages"][0]["message"], "Token is invalid or expired") << c.literal;
    }
  }
}

TEST(JwtEdgesTest, RepeatedClaimsTheLastCounts) {
  const std::string rest = R"("token_type":"access","jti":"j","user_id":42)";
  EXPECT_EQ(check(sign_hs256_text(kHeader, R"({"exp":1,)" + rest + R"(,"exp":1800000600})", kSecret)),
            kAccepted);
  EXPECT_EQ(check(sign_hs256_text(kHeader, R"({"exp":1800000600,)" + rest + R"(,"exp":1})", kSecret)),
            kRejected);
  EXPECT_EQ(check(sign_hs256_text(kHeader, R"({"exp":"x",)" + rest + R"(,"exp":1800000600})", kSecret)),
            kAccepted);
  // A nested "exp" is not the claim.
  EXPECT_EQ(check(sign_hs256_text(kHeader, R"({"exp":1800000600,"x":{"exp":1},)" + rest + "}", kSecret)),
            kAccepted);
}

// Issued tokens: simplejwt's claims in its order, the pair sharing one instant, each accepted for its own
// use only (tests/contract/login_test.py checks them with simplejwt itself).
std::string payload_of(const std::string& token) {
  auto dot1 = token.find('.');
  auto dot2 = token.rfind('.');
  return *base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
}

TEST(IssuedTokens, PairHasSimplejwtsClaimsAndEachServesItsOwnUse) {
  TokenPair pair = issue_token_pair(42, kSecret, kNow, TokenLifetimes{300, 86400});
  auto access = nlohmann::ordered_json::parse(payload_of(pair.access));
  auto refresh = nlohmann::ordered_json::parse(payload_of(pair.refresh));
  std::vector<std::string> keys;
  for (auto& [k, v] : access.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"token_type", "exp", "iat", "jti", "user_id"}));
  EXPECT_EQ(access["exp"], kNow + 300);
  EXPECT_EQ(refresh["exp"], kNow + 86400);
  EXPECT_EQ(access["iat"], kNow);
  EXPECT_EQ(access["user_id"], 42);
  EXPECT_EQ(access["jti"].get<std::string>().size(), 32u);
  EXPECT_NE(access["jti"], refresh["jti"]);
  EXPECT_EQ(authenticate_bearer("Bearer " + pair.access, kSecret, kNow).kind, kAccepted);
  EXPECT_EQ(authenticate_bearer("Bearer " + pair.refresh, kSecret, kNow).kind, kRejected);
  RefreshCheck ok = check_refresh_token(pair.refresh, kSecret, kNow + 100);
  EXPECT_TRUE(ok.valid);
  EXPECT_EQ(ok.user_id, 42);
  RefreshCheck wrong = check_refresh_token(pair.access, kSecret, kNow);
  EXPECT_FALSE(wrong.valid);
  EXPECT_EQ(wrong.error, "Token has wrong type");
  EXPECT_EQ(check_refresh_token(pair.refresh, kSecret, kNow + 86400).error, "Token is invalid or expired");
  EXPECT_EQ(check_refresh_token(pair.refresh, "another-secret-of-at-least-32-bytes", kNow).error,
            "Token is invalid or expired");
}

TEST(IssuedTokens, RefreshedAccessKeepsTheRefreshTokensIatAndClaims) {
  TokenPair pair = issue_token_pair(7, kSecret, kNow, TokenLifetimes{});
  RefreshCheck check = check_refresh_token(pair.refresh, kSecret, kNow + 1000);
  ASSERT_TRUE(check.valid);
  std::string access = access_from_refresh_claims(check.payload_json, kSecret, kNow + 1000, TokenLifetimes{60, 600});
  auto claims = nlohmann::ordered_json::parse(payload_of(access));
  EXPECT_EQ(claims.dump(), nlohmann::ordered_json({{"token_type", "access"},
                                                   {"exp", kNow + 1060},
                                                   {"iat", kNow},
                                                   {"jti", claims["jti"]},
                                                   {"user_id", 7}})
                               .dump());
  EXPECT_EQ(authenticate_bearer("Bearer " + access, kSecret, kNow + 1000).kind, kAccepted);
}

}  // namespace
}  // namespace ypa::http
