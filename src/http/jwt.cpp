#include "http/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <stdexcept>
#include <vector>

namespace ypa::http {
namespace {

constexpr const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// JSON as Python's json module reads a token: Python's integers have no size limit, so numbers are
// parsed into long double (up to about 1e4932) where nlohmann's double would refuse 1e309 as an overflow.
using PyJson =
    nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t, std::uint64_t, long double>;

// Python 3.11 refuses to turn more decimal digits than this into an int (CVE-2020-10735), in json.loads
// and int() alike: a token holding a longer integer is refused.
constexpr std::size_t kMaxIntDigits = 4300;

// The first instant datetime.utcfromtimestamp() cannot represent (year 10000): simplejwt turns `exp`
// into a datetime after PyJWT's checks, so a later `exp` makes Django fail with a server error.
constexpr std::int64_t kDatetimeEnd = 253'402'300'800;

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

// What simplejwt reports for a token it cannot use, inside its "not valid for any token type" body.
AuthOutcome token_error(std::string_view message) {
  AuthOutcome o;
  o.kind = AuthOutcome::Kind::kRejected;
  o.body = {
      {"detail", "Given token not valid for any token type"},
      {"code", "token_not_valid"},
      {"messages", nlohmann::ordered_json::array({nlohmann::ordered_json{
                       {"token_class", "AccessToken"}, {"token_type", "access"}, {"message", message}}})}};
  return o;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::vector<std::string_view> split_whitespace(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    std::size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) parts.push_back(text.substr(start, i - start));
  }
  return parts;
}

int alphabet_index(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Python integers are exact; every comparison made here is against a time near now or kDatetimeEnd, so an
// integer beyond int64 is kept as the int64 limit of its sign.
std::int64_t saturate(long double v) {
  if (v >= 9.2e18L) return std::numeric_limits<std::int64_t>::max();
  if (v <= -9.2e18L) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}

// Decimal digits with an optional sign, as JSON or Python's int() write them (underscores allowed between
// digits when `underscores`): the value saturated to int64, nullopt when the text is not such a number or
// has more than kMaxIntDigits digits.
std::optional<std::int64_t> parse_decimal(std::string_view s, bool underscores) {
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i == s.size()) return std::nullopt;
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t magnitude = 0;
  bool saturated = false;
  std::size_t digits = 0;
  for (bool after_digit = false; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_' && underscores && after_digit && i + 1 < s.size()) {
      after_digit = false;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    after_digit = true;
    if (++digits > kMaxIntDigits) return std::nullopt;
    auto d = static_cast<std::uint64_t>(c - '0');
    if (magnitude > (kMax - d) / 10) {
      saturated = true;
    } else {
      magnitude = magnitude * 10 + d;
    }
  }
  if (saturated)
    return negative ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
  return negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
}

// A time claim (iat, nbf, exp) as Python's json module gives it to PyJWT and simplejwt.
struct TimeClaim {
  enum class Kind { kInteger, kFloat, kString, kOther };  // kOther: null, array, object
  Kind kind = Kind::kOther;
  std::int64_t integer = 0;  // kInteger, a boolean too (Python's True is the integer 1)
  double real = 0;           // kFloat: Python's float, infinite where the literal is beyond double
  std::string text;          // kString
};

// Python's int() of the claim: floats truncate (an infinite one is an OverflowError), strings parse as
// base-10 integers; anything else raises.
std::optional<std::int64_t> python_int(const TimeClaim& c) {
  switch (c.kind) {
    case TimeClaim::Kind::kInteger:
      return c.integer;
    case TimeClaim::Kind::kFloat:
      if (!std::isfinite(c.real)) return std::nullopt;
      return saturate(std::trunc(static_cast<long double>(c.real)));
    case TimeClaim::Kind::kString: {
      // int() ignores surrounding whitespace. Non-ASCII digits and spaces, which Python also takes, are
      // refused here (simplejwt never writes a time claim as a string at all).
      std::string_view s = c.text;
      while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
      while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
      return parse_decimal(s, /*underscores=*/true);
    }
    case TimeClaim::Kind::kOther:
      break;
  }
  return std::nullopt;
}

// Reads the time claims of a payload with their literal text, which the parsed value has lost: a
// 400-digit integer is a valid (huge) Python int, 1e400 is float infinity. Also finds integers too long
// for Python anywhere in the text. Repeated keys: the last one counts, as in Python.
class ClaimScanner : public nlohmann::json_sax<PyJson> {
 public:
  std::map<std::string, TimeClaim> claims;
  bool too_many_digits = false;

  bool null() override { return record({}); }
  bool boolean(bool v) override { return record(integer(v ? 1 : 0)); }
  bool number_integer(number_integer_t v) override { return record(integer(v)); }
  bool number_unsigned(number_unsigned_t v) override {
    return record(integer(saturate(static_cast<long double>(v))));
  }
  bool number_float(number_float_t, const string_t& literal) override {
    // Only digits and a minus sign: an integer literal (the fraction's point is the locale's own).
    if (literal.find_first_not_of("-0123456789") == std::string::npos) {
      // An integer literal beyond 64 bits, which nlohmann hands over as a floating-point number.
      auto v = parse_decimal(literal, /*underscores=*/false);
      if (!v) {
        too_many_digits = true;
        return record({});
      }
      return record(integer(*v));
    }
    TimeClaim c;
    c.kind = TimeClaim::Kind::kFloat;
    c.real = std::strtod(literal.c_str(), nullptr);  // correctly rounded, infinite beyond double, like Python
    return record(c);
  }
  bool string(string_t& v) override {
    TimeClaim c;
    c.kind = TimeClaim::Kind::kString;
    c.text = v;
    return record(c);
  }
  bool binary(binary_t&) override { return record({}); }
  bool start_object(std::size_t) override { return open(); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (depth_ == 1) key_ = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  static TimeClaim integer(std::int64_t v) {
    TimeClaim c;
    c.kind = TimeClaim::Kind::kInteger;
    c.integer = v;
    return c;
  }
  bool record(TimeClaim c) {
    if (depth_ == 1 && (key_ == "iat" || key_ == "nbf" || key_ == "exp")) claims[key_] = std::move(c);
    return true;
  }
  bool open() {
    record({});
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }
  int depth_ = 0;
  std::string key_;
};

struct Segment {
  PyJson json;
  std::map<std::string, TimeClaim> claims;
};

// A header or payload: a JSON object Python's json.loads reads, or nullopt.
std::optional<Segment> parse_segment(const std::string& text) {
  ClaimScanner scanner;
  if (!PyJson::sax_parse(text, &scanner) || scanner.too_many_digits) return std::nullopt;
  Segment s{PyJson::parse(text, nullptr, false), std::move(scanner.claims)};
  if (s.json.is_discarded() || !s.json.is_object()) return std::nullopt;
  return s;
}

const TimeClaim* find_claim(const Segment& payload, const char* name) {
  auto it = payload.claims.find(name);
  return it == payload.claims.end() ? nullptr : &it->second;
}

// PyJWT's registered-claim checks (leeway 0) and simplejwt's conversion of `exp` to a datetime. Every
// failure gives the same answer, whether PyJWT rejects the token or Python raises (a server error in
// Django: a string `iat` compared with a number, an infinite or enormous `exp`).
bool time_claims_valid(const Segment& payload, EpochSeconds now) {
  if (const auto* iat = find_claim(payload, "iat")) {
    // PyJWT checks that int(iat) works, then compares the claim itself with now.
    if (!python_int(*iat)) return false;
    if (iat->kind == TimeClaim::Kind::kInteger && iat->integer > now) return false;
    if (iat->kind == TimeClaim::Kind::kFloat && iat->real > static_cast<double>(now)) return false;
    if (iat->kind == TimeClaim::Kind::kString) return false;
  }
  if (const auto* nbf = find_claim(payload, "nbf")) {
    auto v = python_int(*nbf);
    if (!v || *v > now) return false;
  }
  if (const auto* exp = find_claim(payload, "exp")) {
    auto v = python_int(*exp);
    if (!v || *v <= now) return false;
    if (exp->kind == TimeClaim::Kind::kString) return false;
    if (exp->kind == TimeClaim::Kind::kInteger && exp->integer >= kDatetimeEnd) return false;
    if (exp->kind == TimeClaim::Kind::kFloat && exp->real >= static_cast<double>(kDatetimeEnd)) return false;
  }
  return true;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (bytes.size() - i == 1) {
    unsigned v = at(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    unsigned v = (at(i) << 16) | (at(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

// Stricter than PyJWT, whose decoder (base64.urlsafe_b64decode) skips characters outside the alphabet
// and stops at padding: it takes `<signature>=junk` or `<signature>!` as the signature itself. Only the
// spelling base64url_encode writes is accepted here, so a token has exactly one valid text.
std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = alphabet_index(c);
    if (v < 0) return std::nullopt;
    acc = ((acc << 6) | static_cast<unsigned>(v)) & 0xFFFFu;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // The last character's unused bits: another value there would decode to the same bytes.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string sign_hs256_text(std::string_view header_json, std::string_view payload_json,
                            std::string_view secret) {
  std::string signing_input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
  return signing_input + "." + base64url_encode(hmac_sha256(secret, signing_input));
}

std::string sign_hs256(const nlohmann::ordered_json& payload, std::string_view secret) {
  return sign_hs256_text(R"({"alg":"HS256","typ":"JWT"})", payload.dump(), secret);
}

namespace {

// The checks simplejwt's Token(token) makes (PyJWT's decode, then verify()), in its order, for a token of
// `type` ("access" or "refresh"): nullopt when the token passes, else simplejwt's message. On success
// `payload_out` holds the payload's JSON text.
std::optional<std::string> check_token(std::string_view token, std::string_view secret, EpochSeconds now,
                                       std::string_view type, std::string* payload_out) {
  const std::string invalid_message = "Token is invalid or expired";
  auto dot1 = token.find('.');
  auto dot2 = token.rfind('.');
  if (dot1 == std::string_view::npos || dot1 == dot2) return invalid_message;
  auto header_text = base64url_decode(token.substr(0, dot1));
  auto payload_text = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!header_text || !payload_text || !signature) return invalid_message;
  // The MAC first: no JSON the client wrote is parsed unless it was signed with the secret. The algorithm
  // is pinned to HS256, so a token naming another (or "none") fails here or at the header check below.
  std::string expected = hmac_sha256(secret, token.substr(0, dot2));
  if (expected.size() != signature->size() ||
      CRYPTO_memcmp(expected.data(), signature->data(), expected.size()) != 0) {
    return invalid_message;
  }
  auto header = parse_segment(*header_text);
  if (!header) return invalid_message;
  auto alg = header->json.find("alg");
  if (alg == header->json.end() || !alg->is_string() || alg->get<std::string>() != "HS256") return invalid_message;
  // RFC 7797's unencoded payload, which PyJWT refuses without a detached payload.
  if (auto b64 = header->json.find("b64");
      b64 != header->json.end() && b64->is_boolean() && !b64->get<bool>()) {
    return invalid_message;
  }
  auto payload = parse_segment(*payload_text);
  if (!payload) return invalid_message;
  if (!time_claims_valid(*payload, now)) return invalid_message;
  const auto& claims = payload->json;
  if (!claims.contains("exp")) return std::string("Token has no 'exp' claim");
  if (!claims.contains("jti")) return std::string("Token has no id");
  auto found = claims.find("token_type");
  if (found == claims.end()) return std::string("Token has no type");
  if (!found->is_string() || found->get<std::string>() != type) return std::string("Token has wrong type");
  if (payload_out != nullptr) *payload_out = std::move(*payload_text);
  return std::nullopt;
}

// uuid4().hex: 32 hex digits of a random version-4 UUID, simplejwt's jti.
std::string uuid4_hex() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed: no randomness for a jti");
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// PyJWT writes the payload with json.dumps(separators=(",", ":")): compact, non-ASCII escaped.
std::string sign_payload(const nlohmann::ordered_json& payload, std::string_view secret) {
  return sign_hs256_text(R"({"alg":"HS256","typ":"JWT"})", payload.dump(-1, ' ', /*ensure_ascii=*/true), secret);
}

}  // namespace

AuthOutcome authenticate_bearer(std::optional<std::string_view> authorization, std::string_view secret,
                                EpochSeconds now) {
  AuthOutcome anonymous;
  if (!authorization) return anonymous;
  auto parts = split_whitespace(*authorization);
  if (parts.empty() || parts[0] != "Bearer") return anonymous;
  if (parts.size() != 2) {
    AuthOutcome o;
    o.kind = AuthOutcome::Kind::kRejected;
    o.body = {{"detail", "Authorization header must contain two space-delimited values"},
              {"code", "bad_authorization_header"}};
    return o;
  }
  std::string payload_text;
  if (auto error = check_token(parts[1], secret, now, "access", &payload_text)) return token_error(*error);
  auto claims = PyJson::parse(payload_text);
  auto user = claims.find("user_id");
  if (user == claims.end()) {
    AuthOutcome o;
    o.kind = AuthOutcome::Kind::kRejected;
    o.body = {{"detail", "Token contained no recognizable user identification"}, {"code", "token_not_valid"}};
    return o;
  }
  AuthOutcome ok;
  ok.kind = AuthOutcome::Kind::kAuthenticated;
  ok.user_id = user->is_string() ? user->get<std::string>() : user->dump();
  return ok;
}

TokenPair issue_token_pair(std::int64_t user_id, std::string_view secret, EpochSeconds now,
                           const TokenLifetimes& lifetimes) {
  // RefreshToken.for_user(user), then its access_token: the access token shares the refresh token's
  // instant (exp from it, iat copied from it) and has its own jti.
  nlohmann::ordered_json refresh{{"token_type", "refresh"},
                                 {"exp", now + lifetimes.refresh_s},
                                 {"iat", now},
                                 {"jti", uuid4_hex()},
                                 {"user_id", user_id}};
  TokenPair pair;
  pair.refresh = sign_payload(refresh, secret);
  pair.access = access_from_refresh_claims(refresh.dump(), secret, now, lifetimes);
  return pair;
}

std::string access_from_refresh_claims(std::string_view refresh_payload_json, std::string_view secret,
                                       EpochSeconds now, const TokenLifetimes& lifetimes) {
  // RefreshToken.access_token: a new AccessToken (token_type, exp, iat, jti), exp set from the refresh
  // token's instantiation time (now), then every claim of the refresh token copied over except
  // token_type, exp and jti, in the refresh token's order: its iat replaces the new one in place.
  nlohmann::ordered_json access{
      {"token_type", "access"}, {"exp", now + lifetimes.access_s}, {"iat", now}, {"jti", uuid4_hex()}};
  auto refresh = nlohmann::ordered_json::parse(refresh_payload_json);
  for (auto& [claim, value] : refresh.items()) {
    if (claim == "token_type" || claim == "exp" || claim == "jti") continue;
    access[claim] = value;
  }
  return sign_payload(access, secret);
}

RefreshCheck check_refresh_token(std::string_view token, std::string_view secret, EpochSeconds now) {
  RefreshCheck out;
  if (auto error = check_token(token, secret, now, "refresh", &out.payload_json)) {
    out.error = *error;
    return out;
  }
  // The claims are copied into the access token in their order, which PyJson (a sorted map) loses.
  if (!nlohmann::ordered_json::accept(out.payload_json)) {
    out.error = "Token is invalid or expired";
    return out;
  }
  out.valid = true;
  auto claims = PyJson::parse(out.payload_json);
  if (auto user = claims.find("user_id"); user != claims.end()) {
    if (user->is_number_integer()) {
      out.user_id = user->get<std::int64_t>();
    } else if (user->is_string()) {
      // Django's AutoField turns a string pk into int() of it.
      out.user_id = parse_decimal(user->get<std::string>(), /*underscores=*/false);
    }
  }
  return out;
}

}  // namespace ypa::http
