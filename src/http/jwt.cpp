#include "http/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cmath>
#include <vector>

namespace ypa::http {
namespace {

constexpr const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

// What simplejwt reports for a token it cannot use, inside its "not valid for any token type" body.
AuthOutcome token_error(std::string_view message) {
  AuthOutcome o;
  o.kind = AuthOutcome::Kind::kRejected;
  o.body = {{"detail", "Given token not valid for any token type"},
            {"code", "token_not_valid"},
            {"messages", nlohmann::ordered_json::array({nlohmann::ordered_json{
                             {"token_class", "AccessToken"}, {"token_type", "access"}, {"message", message}}})}};
  return o;
}

AuthOutcome invalid() { return token_error("Token is invalid or expired"); }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

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

// Python's int() on a JSON claim: numbers truncate, numeric strings parse; anything else fails.
std::optional<double> claim_number(const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  if (v.is_number_integer()) return static_cast<double>(v.get<std::int64_t>());
  if (v.is_number_unsigned()) return static_cast<double>(v.get<std::uint64_t>());
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d)) return std::nullopt;
    return std::trunc(d);
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    std::size_t b = 0, e = s.size();
    while (b < e && is_space(s[b])) ++b;
    while (e > b && is_space(s[e - 1])) --e;
    std::size_t i = b;
    if (i < e && (s[i] == '+' || s[i] == '-')) ++i;
    if (i == e) return std::nullopt;
    for (std::size_t k = i; k < e; ++k) {
      if (s[k] < '0' || s[k] > '9') return std::nullopt;
    }
    return std::stod(s.substr(b, e - b));
  }
  return std::nullopt;
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

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '-') {
      v = 62;
    } else if (c == '_') {
      v = 63;
    } else if (c == '=') {
      break;
    } else {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (text.size() % 4 == 1) return std::nullopt;
  return out;
}

std::string sign_hs256(const nlohmann::ordered_json& payload, std::string_view secret) {
  std::string signing_input = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url_encode(payload.dump());
  return signing_input + "." + base64url_encode(hmac_sha256(secret, signing_input));
}

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
  std::string_view token = parts[1];
  auto dot1 = token.find('.');
  auto dot2 = token.rfind('.');
  if (dot1 == std::string_view::npos || dot1 == dot2) return invalid();
  std::string_view header_b64 = token.substr(0, dot1);
  std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  auto header_text = base64url_decode(header_b64);
  auto payload_text = base64url_decode(payload_b64);
  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!header_text || !payload_text || !signature) return invalid();
  auto header = nlohmann::json::parse(*header_text, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return invalid();
  // The algorithm is pinned: a token naming any other (or "none") is refused before the signature.
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || alg->get<std::string>() != "HS256") return invalid();
  std::string expected = hmac_sha256(secret, token.substr(0, dot2));
  if (expected.size() != signature->size() || CRYPTO_memcmp(expected.data(), signature->data(), expected.size()) != 0) {
    return invalid();
  }
  auto payload = nlohmann::json::parse(*payload_text, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) return invalid();
  const auto t = static_cast<double>(now);
  // PyJWT's registered-claim checks (leeway 0), then simplejwt's own.
  if (auto it = payload.find("iat"); it != payload.end()) {
    auto v = claim_number(*it);
    if (!v || (it->is_number() && it->get<double>() > t)) return invalid();
  }
  if (auto it = payload.find("nbf"); it != payload.end()) {
    auto v = claim_number(*it);
    if (!v || *v > t) return invalid();
  }
  auto exp = payload.find("exp");
  if (exp != payload.end()) {
    auto v = claim_number(*exp);
    if (!v || *v <= t) return invalid();
  } else {
    return token_error("Token has no 'exp' claim");
  }
  if (!payload.contains("jti")) return token_error("Token has no id");
  auto type = payload.find("token_type");
  if (type == payload.end()) return token_error("Token has no type");
  if (!type->is_string() || type->get<std::string>() != "access") return token_error("Token has wrong type");
  auto user = payload.find("user_id");
  if (user == payload.end()) {
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

}  // namespace ypa::http
