// COPY (...) TO STDOUT (FORMAT binary), read tuple by tuple: the fastest way to stream many rows out of
// PostgreSQL through libpq, with no text parsing.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "postgres/connection.hpp"

namespace ypa::postgres {

class BinaryCopyReader {
 public:
  // Starts `COPY (<select>) TO STDOUT (FORMAT binary)`.
  BinaryCopyReader(Connection& conn, std::string_view select_sql);
  ~BinaryCopyReader();
  BinaryCopyReader(const BinaryCopyReader&) = delete;
  BinaryCopyReader& operator=(const BinaryCopyReader&) = delete;

  // Advances to the next tuple; false at the end of the data (the COPY's result is then checked).
  bool next();
  std::size_t field_count() const { return fields_.size(); }
  bool is_null(std::size_t i) const { return fields_[i].size < 0; }
  // Typed reads of the current tuple; the field's length must match the type.
  // smallint, integer or bigint, whichever the column is: the query need not cast (a cast costs the
  // server a function call per value and widens what it sends).
  std::int64_t integer(std::size_t i) const;
  // timestamptz as Unix microseconds.
  std::int64_t timestamptz_us(std::size_t i) const;

 private:
  struct Field {
    const unsigned char* data = nullptr;
    std::int32_t size = -1;
  };
  void parse_tuple(const unsigned char* data, std::size_t size);
  [[noreturn]] void malformed(std::string_view what) const;

  Connection& conn_;
  char* row_ = nullptr;  // the current libpq buffer (PQfreemem)
  bool header_seen_ = false;
  bool done_ = false;
  std::vector<Field> fields_;
};

}  // namespace ypa::postgres
