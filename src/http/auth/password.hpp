// Django's password hashes (django.contrib.auth.hashers): which hasher wrote one, checking a password
// against Django's default PBKDF2PasswordHasher (pbkdf2_sha256$<iterations>$<salt>$<base64 hash>), and
// writing one. PBKDF2 is OpenSSL's; the comparison takes constant time. Other hashers are named, not checked.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ypa::http::auth {

// Django 4.2's PBKDF2PasswordHasher.iterations.
inline constexpr std::int64_t kDjangoIterations = 600000;
// Iterations checked at most: a larger count (no Django writes one) is refused rather than computed.
inline constexpr std::int64_t kMaxIterations = 100'000'000;

// The hasher as Django's identify_hasher names it ("pbkdf2_sha256", "argon2", "bcrypt_sha256",
// "unsalted_md5", ...); "" for an empty hash. An unusable password ("!..." from set_unusable_password)
// gives "!".
std::string hasher_of(std::string_view encoded);

enum class PasswordCheck {
  kMatch,
  kMismatch,
  kUnusable,     // "!...": the account has no password (set_unusable_password)
  kOtherHasher,  // a hasher other than pbkdf2_sha256 (hasher_of names it)
  kMalformed,    // pbkdf2_sha256 but not $<iterations>$<salt>$<hash> with 1..kMaxIterations
};

// Django's check_password for a pbkdf2_sha256 hash: the password's PBKDF2-HMAC-SHA256 with the hash's
// salt and iterations, base64-encoded, compared with the stored hash in constant time.
PasswordCheck check_password(std::string_view password, std::string_view encoded);

// PBKDF2PasswordHasher.encode: "pbkdf2_sha256$<iterations>$<salt>$<base64 of 32 bytes>".
std::string make_password(std::string_view password, std::string_view salt, std::int64_t iterations);

// Django's salt: get_random_string(22), letters and digits (about 131 bits).
std::string random_salt();

// The cost of checking a password for an account that does not exist, so that an unknown user name takes
// as long as a wrong password (Django's ModelBackend hashes once for the same reason).
void burn_default_hash(std::string_view password);

}  // namespace ypa::http::auth
