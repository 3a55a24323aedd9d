#include "http/auth/password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace ypa::http::auth {
namespace {

constexpr std::string_view kAlgorithm = "pbkdf2_sha256";

std::string base64(const unsigned char* data, std::size_t size) {
  std::vector<unsigned char> out(4 * ((size + 2) / 3) + 1);
  int n = EVP_EncodeBlock(out.data(), data, static_cast<int>(size));
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
}

std::string pbkdf2_base64(std::string_view password, std::string_view salt, std::int64_t iterations) {
  unsigned char key[32];  // Django's dklen: the digest size of SHA-256
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        static_cast<int>(iterations), EVP_sha256(), sizeof key, key) != 1) {
    throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
  }
  return base64(key, sizeof key);
}

}  // namespace

std::string hasher_of(std::string_view encoded) {
  if (encoded.empty()) return "";
  if (encoded.front() == '!') return "!";
  // identify_hasher: the unsalted legacy forms have no algorithm prefix of their own.
  if ((encoded.size() == 32 && encoded.find('$') == std::string_view::npos) ||
      (encoded.size() == 37 && encoded.substr(0, 5) == "md5$$")) {
    return "unsalted_md5";
  }
  if (encoded.size() == 46 && encoded.substr(0, 6) == "sha1$$") return "unsalted_sha1";
  return std::string(encoded.substr(0, encoded.find('$')));
}

PasswordCheck check_password(std::string_view password, std::string_view encoded) {
  std::string hasher = hasher_of(encoded);
  if (hasher == "!") return PasswordCheck::kUnusable;
  if (hasher != kAlgorithm) return PasswordCheck::kOtherHasher;
  // algorithm, iterations, salt, hash = encoded.split("$", 3)
  std::string_view rest = encoded.substr(kAlgorithm.size());
  if (rest.empty() || rest.front() != '$') return PasswordCheck::kMalformed;
  rest.remove_prefix(1);
  auto d1 = rest.find('$');
  if (d1 == std::string_view::npos) return PasswordCheck::kMalformed;
  auto d2 = rest.find('$', d1 + 1);
  if (d2 == std::string_view::npos) return PasswordCheck::kMalformed;
  std::string_view digits = rest.substr(0, d1);
  std::string_view salt = rest.substr(d1 + 1, d2 - d1 - 1);
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return PasswordCheck::kMalformed;
  }
  std::int64_t iterations = std::stoll(std::string(digits));
  if (iterations < 1 || iterations > kMaxIterations) return PasswordCheck::kMalformed;
  // Django compares the whole encoded text it rebuilds with the stored one (constant_time_compare).
  std::string rebuilt = make_password(password, salt, iterations);
  if (rebuilt.size() != encoded.size()) return PasswordCheck::kMismatch;
  return CRYPTO_memcmp(rebuilt.data(), encoded.data(), rebuilt.size()) == 0 ? PasswordCheck::kMatch
                                                                            : PasswordCheck::kMismatch;
}

std::string make_password(std::string_view password, std::string_view salt, std::int64_t iterations) {
  if (salt.find('$') != std::string_view::npos) throw std::invalid_argument("a Django salt has no '$'");
  return std::string(kAlgorithm) + "$" + std::to_string(iterations) + "$" + std::string(salt) + "$" +
         pbkdf2_base64(password, salt, iterations);
}

std::string random_salt() {
  static constexpr std::string_view kChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out;
  while (out.size() < 22) {
    unsigned char b[32];
    if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed: no randomness for a salt");
    // 62 * 4 = 248: bytes above it are dropped, so every character is equally likely.
    for (unsigned char c : b) {
      if (c < 248 && out.size() < 22) out += kChars[c % 62];
    }
  }
  return out;
}

void burn_default_hash(std::string_view password) {
  (void)pbkdf2_base64(password, "ypaunknownaccountsalt0", kDjangoIterations);
}

}  // namespace ypa::http::auth
