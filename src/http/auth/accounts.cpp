#include "http/auth/accounts.hpp"

#include <fmt/format.h>

#include "http/auth/password.hpp"

namespace ypa::http::auth {
namespace {

std::optional<Account> one(const postgres::Result& r) {
  if (r.rows() == 0) return std::nullopt;
  Account a;
  a.id = r.integer(0, 0);
  a.password = r.is_null(0, 1) ? std::string() : std::string(r.text(0, 1));
  a.is_active = r.text(0, 2) == "t";
  return a;
}

}  // namespace

std::optional<Account> find_account(postgres::Connection& conn, const std::string& table,
                                    std::string_view username) {
  return one(conn.exec_params(fmt::format("SELECT id, password, is_active FROM {} WHERE username = $1",
                                          postgres::quote_identifier(table)),
                              {std::string(username)}));
}

std::optional<Account> find_account(postgres::Connection& conn, const std::string& table, std::int64_t id) {
  return one(conn.exec_params(
      fmt::format("SELECT id, password, is_active FROM {} WHERE id = $1", postgres::quote_identifier(table)),
      {std::to_string(id)}));
}

AccountChange ensure_account(postgres::Connection& conn, const std::string& table, std::string_view username,
                             std::string_view password) {
  auto existing = find_account(conn, table, username);
  if (existing && existing->is_active &&
      check_password(password, existing->password) == PasswordCheck::kMatch) {
    return AccountChange::kUnchanged;
  }
  std::string hash = make_password(password, random_salt(), kDjangoIterations);
  const std::string t = postgres::quote_identifier(table);
  if (existing) {
    conn.exec_params(fmt::format("UPDATE {} SET password = $1, is_active = true WHERE id = $2", t),
                     {hash, std::to_string(existing->id)});
    return AccountChange::kPasswordSet;
  }
  // The defaults of Django's create_user: not staff, not superuser, blank names and e-mail.
  conn.exec_params(
      fmt::format("INSERT INTO {} (password, last_login, is_superuser, username, first_name, last_name, "
                  "email, is_staff, is_active, date_joined) "
                  "VALUES ($1, NULL, false, $2, '', '', '', false, true, now())",
                  t),
      {hash, std::string(username)});
  return AccountChange::kCreated;
}

}  // namespace ypa::http::auth
