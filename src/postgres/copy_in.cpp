#include "postgres/copy_in.hpp"

#include <fmt/format.h>

namespace ypa::postgres {
namespace {
constexpr std::size_t kFlushBytes = 1 << 20;
}

CopyIn::CopyIn(Connection& conn, std::string_view table, std::string_view columns) : conn_(conn), table_(table) {
  conn_.exec(fmt::format("COPY {} ({}) FROM STDIN", table, columns));
  buffer_.reserve(kFlushBytes + 4096);
}

CopyIn::~CopyIn() {
  if (!finished_) {
    PQputCopyEnd(conn_.get(), "aborted by the loader");
    while (PGresult* r = PQgetResult(conn_.get())) PQclear(r);
  }
}

void CopyIn::separator() {
  if (row_started_) buffer_.push_back('\t');
  row_started_ = true;
}

void CopyIn::field(std::int64_t value) {
  separator();
  fmt::format_to(std::back_inserter(buffer_), "{}", value);
}

void CopyIn::field(double value) {
  separator();
  fmt::format_to(std::back_inserter(buffer_), "{}", value);
}

void CopyIn::field(std::string_view text) {
  separator();
  for (char c : text) {
    switch (c) {
      case '\\': buffer_ += "\\\\"; break;
      case '\t': buffer_ += "\\t"; break;
      case '\n': buffer_ += "\\n"; break;
      case '\r': buffer_ += "\\r"; break;
      default: buffer_.push_back(c);
    }
  }
}

void CopyIn::null_field() {
  separator();
  buffer_ += "\\N";
}

void CopyIn::end_row() {
  buffer_.push_back('\n');
  row_started_ = false;
  ++rows_;
  if (buffer_.size() >= kFlushBytes) flush();
}

void CopyIn::flush() {
  if (buffer_.empty()) return;
  if (PQputCopyData(conn_.get(), buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
    throw UnavailableError(fmt::format("PostgreSQL COPY into {}: {}", table_, PQerrorMessage(conn_.get())));
  }
  buffer_.clear();
}

std::int64_t CopyIn::finish() {
  flush();
  finished_ = true;
  if (PQputCopyEnd(conn_.get(), nullptr) != 1) {
    throw UnavailableError(fmt::format("PostgreSQL COPY into {}: {}", table_, PQerrorMessage(conn_.get())));
  }
  // Only the primary message: the DETAIL and CONTEXT lines would break the one-line error rule.
  std::string error;
  std::string sqlstate;
  while (PGresult* r = PQgetResult(conn_.get())) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && error.empty()) {
      const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      error = primary != nullptr ? primary : PQresultErrorMessage(r);
      sqlstate = state != nullptr ? state : "";
    }
    PQclear(r);
  }
  if (!error.empty()) {
    for (char& c : error) c = c == '\n' ? ' ' : c;
    while (!error.empty() && error.back() == ' ') error.pop_back();
    throw QueryError(fmt::format("PostgreSQL COPY into {}: {}", table_, error), sqlstate);
  }
  return rows_;
}

}  // namespace ypa::postgres
