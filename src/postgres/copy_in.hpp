// COPY ... FROM STDIN in text format, buffered: the fast path for loading many rows through libpq.
#pragma once

#include <string>
#include <string_view>

#include "postgres/connection.hpp"

namespace ypa::postgres {

// Starts `COPY <table> (<columns>) FROM STDIN` on construction; rows are appended as text fields and
// sent in large chunks. finish() ends the COPY and returns the row count; destroying an unfinished
// writer aborts the COPY so a failed load leaves nothing behind in its transaction.
class CopyIn {
 public:
  CopyIn(Connection& conn, std::string_view table, std::string_view columns);
  ~CopyIn();
  CopyIn(const CopyIn&) = delete;
  CopyIn& operator=(const CopyIn&) = delete;

  void field(std::int64_t value);
  void field(double value);
  void field(std::string_view text);  // escaped for COPY text format
  void null_field();
  void end_row();
  std::int64_t finish();

 private:
  void separator();
  void flush();

  Connection& conn_;
  std::string table_;
  std::string buffer_;
  bool row_started_ = false;
  bool finished_ = false;
  std::int64_t rows_ = 0;
};

}  // namespace ypa::postgres
