#include "postgres/connection.hpp"

#include <fmt/format.h>

#include <charconv>

namespace ypa::postgres {
namespace {

std::string first_line(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  auto newline = text.find('\n');
  return newline == std::string::npos ? text : text.substr(0, newline);
}

std::string short_sql(std::string_view sql) {
  std::string flat;
  for (char c : sql.substr(0, 80)) flat.push_back(c == '\n' ? ' ' : c);
  return sql.size() > 80 ? flat + "..." : flat;
}

Result check(PGresult* raw, PGconn* conn, std::string_view sql) {
  Result result(raw);
  auto status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN ||
      status == PGRES_COPY_OUT) {
    return result;
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    throw UnavailableError(fmt::format("PostgreSQL connection lost: {}", first_line(PQerrorMessage(conn))));
  }
  const char* state = raw != nullptr ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  const char* message = raw != nullptr ? PQresultErrorMessage(raw) : PQerrorMessage(conn);
  throw QueryError(fmt::format("PostgreSQL: {} (in: {})", first_line(message), short_sql(sql)), state ? state : "");
}

}  // namespace

std::int64_t Result::integer(int row, int column) const {
  auto value = text(row, column);
  std::int64_t out = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || ptr != value.data() + value.size()) {
    throw Error(fmt::format("PostgreSQL: expected an integer in column {}, got '{}'", column, value));
  }
  return out;
}

Connection::Connection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str()), &PQfinish) {
  if (conn_ == nullptr) throw UnavailableError("PostgreSQL: out of memory creating a connection");
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    throw UnavailableError(fmt::format("PostgreSQL unreachable: {}", first_line(PQerrorMessage(conn_.get()))));
  }
}

Result Connection::exec(std::string_view sql) {
  std::string text(sql);
  return check(PQexec(conn_.get(), text.c_str()), conn_.get(), sql);
}

Result Connection::exec_params(std::string_view sql, const std::vector<std::optional<std::string>>& params) {
  std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return check(PQexecParams(conn_.get(), text.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                            nullptr, nullptr, 0),
               conn_.get(), sql);
}

std::string Connection::describe() const {
  return fmt::format("{}:{}/{}", PQhost(conn_.get()), PQport(conn_.get()), PQdb(conn_.get()));
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace ypa::postgres
