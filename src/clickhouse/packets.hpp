// Encoders for client packets and decoders for server packets, free of any socket, so unit tests and
// fuzzers drive them with in-memory streams. Optional fields follow the negotiated revision.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clickhouse/block.hpp"
#include "clickhouse/protocol.hpp"
#include "wire/buffer.hpp"
#include "wire/input.hpp"

namespace ypa::clickhouse {

struct ServerInfo {
  std::string name;  // "ClickHouse"
  std::uint64_t version_major = 0;
  std::uint64_t version_minor = 0;
  std::uint64_t version_patch = 0;
  Revision revision = 0;             // what the server announced
  Revision negotiated_revision = 0;  // min(advertised, server's): gates every optional field
  std::string timezone;
  std::string display_name;
};

struct Progress {
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  std::uint64_t total_rows = 0;
  std::uint64_t written_rows = 0;
  std::uint64_t written_bytes = 0;
};

struct ProfileInfo {
  std::uint64_t rows = 0;
  std::uint64_t blocks = 0;
  std::uint64_t bytes = 0;
  bool applied_limit = false;
  std::uint64_t rows_before_limit = 0;
  // The sixth byte on the wire is obsolete (current servers always write 1); it is read and dropped.
};

// One exception of the chain an Exception packet carries (outermost first).
struct ServerException {
  std::int32_t code = 0;
  std::string name;
  std::string message;
  std::string stack_trace;
};

// A decoded server packet; only the members of its type are filled.
struct ServerMessage {
  ServerPacket type = ServerPacket::kEndOfStream;
  std::string table_name;  // Data/Totals/Extremes/Log/ProfileEvents (external table name), TableColumns
  Block block;             // Data, Totals, Extremes, Log, ProfileEvents
  Progress progress;
  ProfileInfo profile_info;
  std::vector<ServerException> exceptions;
  std::string columns_description;  // TableColumns
};

struct Setting {
  std::string name;
  std::string value;
};

struct QueryOptions {
  std::string query_id;  // empty: the server assigns one
  // Per-query settings; servers below revision 54429 (18.16) cannot take them as text, so the client
  // refuses them there (use SET or a SETTINGS clause instead).
  std::vector<Setting> settings;
};

struct HelloParams {
  std::string_view database;
  std::string_view user;
  std::string_view password;
};

void write_client_hello(wire::Buffer& out, const HelloParams& params);
// The addendum that follows the server Hello from revision 54458 on.
void write_addendum(wire::Buffer& out, Revision negotiated);
void write_query(wire::Buffer& out, std::string_view sql, const QueryOptions& options, Revision negotiated,
                 bool compression);
// A Data packet: code, external-table name "", then the block (LZ4-framed when compression is on).
// `scratch` holds the uncompressed block between uses.
void write_data(wire::Buffer& out, const Block& block, Revision negotiated, bool compression,
                wire::Buffer& scratch, const std::vector<std::string>* type_names = nullptr);
void write_ping(wire::Buffer& out);
void write_cancel(wire::Buffer& out);

// Reads the reply to the client Hello: ServerInfo, or throws ServerError for an Exception packet.
ServerInfo read_server_hello(wire::Input& in, Revision advertised);

// Reads one packet after the handshake. Unknown codes and packets the negotiated revision rules out
// are ProtocolErrors; Exception packets are returned (the caller decides what to throw).
ServerMessage read_server_packet(wire::Input& in, Revision negotiated, bool compression);

// "Code: 60, DB::Exception: Table x doesn't exist; caused by: ..." for a chain.
std::string describe_exceptions(const std::vector<ServerException>& chain);

}  // namespace ypa::clickhouse
