// libpq behind RAII: a connection, query results, and errors that name the failing statement.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.hpp"

namespace ypa::postgres {

// A statement failed on the server (syntax, constraint, missing table). Carries the SQLSTATE.
class QueryError : public Error {
 public:
  QueryError(const std::string& message, std::string sqlstate) : Error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// The result of one statement; owns the PGresult.
class Result {
 public:
  explicit Result(PGresult* result) : result_(result, &PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string_view text(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column), static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
  }
  std::int64_t integer(int row, int column) const;
  PGresult* get() const { return result_.get(); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

class Connection {
 public:
  // conninfo: a libpq connection string or URL; empty uses libpq's PG* environment variables.
  // Throws UnavailableError naming the server when it cannot connect.
  explicit Connection(const std::string& conninfo);

  // Runs one or more statements; throws QueryError with the server's message.
  Result exec(std::string_view sql);
  // Runs one statement with text parameters ($1, $2, ...); nullopt is SQL NULL.
  Result exec_params(std::string_view sql, const std::vector<std::optional<std::string>>& params);

  PGconn* get() const { return conn_.get(); }
  // "host:port/dbname" for messages.
  std::string describe() const;

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

// Quotes an identifier ("AppleStockChecker_iphone") for SQL text.
std::string quote_identifier(std::string_view name);

}  // namespace ypa::postgres
