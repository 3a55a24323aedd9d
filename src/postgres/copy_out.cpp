#include "postgres/copy_out.hpp"

#include <fmt/format.h>

#include <cstring>

namespace ypa::postgres {
namespace {

// "PGCOPY\n\377\r\n\0", then int32 flags and int32 header-extension length.
constexpr unsigned char kSignature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
// PostgreSQL timestamps count microseconds from 2000-01-01 UTC.
constexpr std::int64_t kPostgresEpochUs = 946684800LL * 1'000'000;

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}
std::uint64_t be64(const unsigned char* p) { return (std::uint64_t{be32(p)} << 32) | be32(p + 4); }

}  // namespace

BinaryCopyReader::BinaryCopyReader(Connection& conn, std::string_view select_sql) : conn_(conn) {
  conn_.exec(fmt::format("COPY ({}) TO STDOUT (FORMAT binary)", select_sql));
}

BinaryCopyReader::~BinaryCopyReader() {
  if (row_ != nullptr) PQfreemem(row_);
  if (!done_) {
    // Abandoned mid-stream: drain so the connection stays usable.
    char* buffer = nullptr;
    while (PQgetCopyData(conn_.get(), &buffer, 0) > 0) PQfreemem(buffer);
    while (PGresult* r = PQgetResult(conn_.get())) PQclear(r);
  }
}

void BinaryCopyReader::malformed(std::string_view what) const {
  throw Error(fmt::format("PostgreSQL COPY binary: malformed data ({})", what));
}

bool BinaryCopyReader::next() {
  if (done_) return false;
  if (row_ != nullptr) {
    PQfreemem(row_);
    row_ = nullptr;
  }
  int size = PQgetCopyData(conn_.get(), &row_, 0);
  if (size == -1) {  // end of COPY: the final result says whether it succeeded
    done_ = true;
    std::string error;
    while (PGresult* r = PQgetResult(conn_.get())) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK && error.empty()) error = PQresultErrorMessage(r);
      PQclear(r);
    }
    if (!error.empty()) {
      while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
      throw QueryError(fmt::format("PostgreSQL COPY: {}", error), "");
    }
    return false;
  }
  if (size < 0) {
    done_ = true;
    throw UnavailableError(fmt::format("PostgreSQL COPY: {}", PQerrorMessage(conn_.get())));
  }
  const auto* data = reinterpret_cast<const unsigned char*>(row_);
  auto length = static_cast<std::size_t>(size);
  if (!header_seen_) {
    // The first message starts with the file header, followed by the first tuple (or the trailer).
    if (length < 19 || std::memcmp(data, kSignature, sizeof kSignature) != 0) malformed("bad signature");
    std::uint32_t extension = be32(data + 15);
    std::size_t skip = 19 + extension;
    if (length < skip) malformed("truncated header");
    header_seen_ = true;
    data += skip;
    length -= skip;
    if (length == 0) return next();  // the header came as a message of its own
  }
  if (length < 2) malformed("truncated tuple");
  auto count = static_cast<std::int16_t>((data[0] << 8) | data[1]);
  if (count == -1) return next();  // the trailer; the next call reports the end
  parse_tuple(data, length);
  return true;
}

void BinaryCopyReader::parse_tuple(const unsigned char* data, std::size_t size) {
  auto count = static_cast<std::size_t>((data[0] << 8) | data[1]);
  fields_.resize(count);
  std::size_t pos = 2;
  for (std::size_t i = 0; i < count; ++i) {
    if (pos + 4 > size) malformed("truncated field length");
    auto len = static_cast<std::int32_t>(be32(data + pos));
    pos += 4;
    fields_[i] = {data + pos, len};
    if (len > 0) {
      if (pos + static_cast<std::size_t>(len) > size) malformed("truncated field");
      pos += static_cast<std::size_t>(len);
    }
  }
}

std::int64_t BinaryCopyReader::integer(std::size_t i) const {
  const Field& f = fields_[i];
  switch (f.size) {
    case 8:
      return static_cast<std::int64_t>(be64(f.data));
    case 4:
      return static_cast<std::int32_t>(be32(f.data));
    case 2:
      return static_cast<std::int16_t>((f.data[0] << 8) | f.data[1]);
    default:
      malformed(fmt::format("field {} is not an integer ({} bytes)", i + 1, f.size));
  }
}

std::int64_t BinaryCopyReader::timestamptz_us(std::size_t i) const {
  if (fields_[i].size != 8) malformed(fmt::format("field {} is not a timestamptz", i + 1));
  return static_cast<std::int64_t>(be64(fields_[i].data)) + kPostgresEpochUs;
}

}  // namespace ypa::postgres
