// http/auth/password against Django itself: hashes made at run time by Django's own PBKDF2PasswordHasher
// and identify_hasher (Debian's python3-django), so that a wrong PBKDF2 (salt, iteration count, key
// length, base64) or a misnamed hasher fails here.
#include "http/auth/password.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace ypa::http::auth {
namespace {

// Runs a Python program (Django configured with no project) and returns what it prints.
std::string python(const std::string& program) {
  std::string command = "/usr/bin/python3 -c '" + program + "'";
  std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), &pclose);
  if (!pipe) return {};
  std::string out;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
  return out;
}

constexpr const char* kDjangoSetup =
    "import json, sys\n"
    "from django.conf import settings\n"
    "settings.configure(PASSWORD_HASHERS=[\"django.contrib.auth.hashers.PBKDF2PasswordHasher\","
    " \"django.contrib.auth.hashers.MD5PasswordHasher\", "
    "\"django.contrib.auth.hashers.UnsaltedMD5PasswordHasher\"])\n"
    "import django; django.setup()\n"
    "from django.contrib.auth import hashers\n";

struct Vector {
  std::string password, salt;
  std::int64_t iterations;
};

TEST(DjangoPbkdf2, HashesAreDjangosAndCheckLikeDjangos) {
  // Passwords with non-ASCII letters, spaces, '$', an empty one; salts of Django's shape and others;
  // iteration counts from 1 to Django 4.2's 600000.
  const std::vector<Vector> vectors = {
      {"demo-password", "abcdefghijklmnopqrstuv", 600000},
      {"l\xc3\xa8tmein", "seasalt", 1000},
      {"", "0123456789", 1},
      {"pa$$ word with spaces", "XyZ", 260000},
      {std::string(200, 'p'), "saltsaltsaltsaltsaltsa", 2},
      {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "s", 3},
  };
  nlohmann::json input = nlohmann::json::array();
  for (const auto& v : vectors) input.push_back({v.password, v.salt, v.iterations});
  std::string program = std::string(kDjangoSetup) +
                        "h = hashers.PBKDF2PasswordHasher()\n"
                        "print(json.dumps([h.encode(p, s, i) for p, s, i in json.loads(sys.argv[1])]))\n";
  std::string command_input = input.dump();
  std::string out = python(program + "' '" + command_input);
  auto django = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(django.is_array()) << "python3 with Django printed: " << out;
  ASSERT_EQ(django.size(), vectors.size());
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    const auto& v = vectors[i];
    const std::string expected = django[i].get<std::string>();
    EXPECT_EQ(make_password(v.password, v.salt, v.iterations), expected) << "vector " << i;
    EXPECT_EQ(check_password(v.password, expected), PasswordCheck::kMatch) << expected;
    EXPECT_EQ(check_password(v.password + "x", expected), PasswordCheck::kMismatch) << expected;
    // The same hash with one character of the digest changed.
    std::string tampered = expected;
    tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
    EXPECT_EQ(check_password(v.password, tampered), PasswordCheck::kMismatch) << tampered;
  }
}

TEST(DjangoPbkdf2, PasswordsOfDjangosMakePasswordCheck) {
  // make_password with its random salt and the installed Django's default iterations.
  std::string out =
      python(std::string(kDjangoSetup) +
             "print(json.dumps([hashers.make_password(\"s3cret \\u00e9\"), hashers.make_password(\"\")]))\n");
  auto hashes = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(hashes.is_array()) << out;
  EXPECT_EQ(check_password("s3cret \xc3\xa9", hashes[0].get<std::string>()), PasswordCheck::kMatch);
  EXPECT_EQ(check_password("s3cret", hashes[0].get<std::string>()), PasswordCheck::kMismatch);
  EXPECT_EQ(check_password("", hashes[1].get<std::string>()), PasswordCheck::kMatch);
}

TEST(DjangoHashers, NamedAsIdentifyHasherNamesThem) {
  // Each encoded text with the algorithm Django's identify_hasher gives it (hand-written hashes: only the
  // prefix and the length decide). Unusable passwords come from Django's make_password(None).
  const std::vector<std::string> encoded = {
      "pbkdf2_sha256$600000$abc$xyz",
      "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA",
      "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuv",
      "pbkdf2_sha1$260000$salt$hash",
      "md5$salt$0123456789abcdef0123456789abcdef",
      "0123456789abcdef0123456789abcdef",
      "md5$$0123456789abcdef0123456789abcdef",
      "sha1$$0123456789abcdef0123456789abcdef01234567",
      "scrypt$16384$salt$8$1$hash",
  };
  std::string program =
      std::string(kDjangoSetup) +
      "settings.PASSWORD_HASHERS = [c + h for c in [\"django.contrib.auth.hashers.\"] for h in "
      "[\"PBKDF2PasswordHasher\", \"PBKDF2SHA1PasswordHasher\", \"Argon2PasswordHasher\","
      " \"BCryptSHA256PasswordHasher\", \"MD5PasswordHasher\", \"UnsaltedMD5PasswordHasher\","
      " \"UnsaltedSHA1PasswordHasher\", \"SHA1PasswordHasher\"]]\n"
      "def name(e):\n"
      "    try: return hashers.identify_hasher(e).algorithm\n"
      "    except ValueError: return e.split(\"$\", 1)[0]\n"
      "print(json.dumps([name(e) for e in json.loads(sys.argv[1])] + "
      "[hashers.make_password(None)[0], str(hashers.is_password_usable(hashers.make_password(None)))]))\n";
  std::string out = python(program + "' '" + nlohmann::json(encoded).dump());
  auto names = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(names.is_array()) << out;
  ASSERT_EQ(names.size(), encoded.size() + 2);
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    EXPECT_EQ(hasher_of(encoded[i]), names[i].get<std::string>()) << encoded[i];
    const auto expected =
        names[i] == "pbkdf2_sha256" ? PasswordCheck::kMismatch : PasswordCheck::kOtherHasher;
    EXPECT_EQ(check_password("x", encoded[i]), expected) << encoded[i];
  }
  EXPECT_EQ(names[encoded.size()], "!");  // make_password(None) starts with the unusable prefix
  EXPECT_EQ(names[encoded.size() + 1], "False");
  EXPECT_EQ(check_password("", "!abcdefghijklmnopqrstuvwxyz0123456789ABCD"), PasswordCheck::kUnusable);
}

TEST(DjangoPbkdf2, MalformedHashesAreRefusedWithoutComputing) {
  for (const char* e :
       {"pbkdf2_sha256", "pbkdf2_sha256$", "pbkdf2_sha256$600000$salt", "pbkdf2_sha256$x$salt$h",
        "pbkdf2_sha256$0$salt$h", "pbkdf2_sha256$-1$salt$h", "pbkdf2_sha256$999999999$salt$h"}) {
    EXPECT_EQ(check_password("x", e), PasswordCheck::kMalformed) << e;
  }
}

TEST(DjangoPbkdf2, SaltsHaveDjangosShape) {
  std::string a = random_salt(), b = random_salt();
  EXPECT_EQ(a.size(), 22u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
            std::string::npos);
}

}  // namespace
}  // namespace ypa::http::auth
