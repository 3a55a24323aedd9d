// Django's user table (auth_user, or YPA_TABLE_AUTH_USER for a custom user model with the same
// columns) in PostgreSQL: the rows a login reads, and the demo account `ypa init --demo-user` writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "postgres/connection.hpp"

namespace ypa::http::auth {

struct Account {
  std::int64_t id = 0;
  std::string password;  // Django's encoded hash
  bool is_active = false;
};

// ModelBackend's get_by_natural_key: the row whose username equals `username` exactly.
std::optional<Account> find_account(postgres::Connection& conn, const std::string& table,
                                    std::string_view username);
std::optional<Account> find_account(postgres::Connection& conn, const std::string& table, std::int64_t id);

enum class AccountChange { kCreated, kPasswordSet, kUnchanged };

// An active account `username` whose password is `password` (pbkdf2_sha256, Django 4.2's iterations):
// created when missing; its hash replaced (and the account activated) when the password does not check.
AccountChange ensure_account(postgres::Connection& conn, const std::string& table, std::string_view username,
                             std::string_view password);

}  // namespace ypa::http::auth
