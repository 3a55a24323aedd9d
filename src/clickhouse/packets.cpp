// Packet layouts of the native protocol (docs/protocol.md lists each revision gate used here).
#include "clickhouse/packets.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "clickhouse/compression.hpp"
#include "clickhouse/errors.hpp"

namespace ypa::clickhouse {
namespace {

// Exception chains deeper than this are refused rather than followed (a corrupt has_nested loop).
constexpr int kMaxNestedExceptions = 64;
constexpr std::size_t kMaxMessageLength = std::size_t{16} << 20;

constexpr std::uint64_t kSettingImportant = 0x1;

void write_code(wire::Buffer& out, ClientPacket packet) {
  out.write_varint(static_cast<std::uint64_t>(packet));
}

std::string local_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return {};
  return name;
}

std::string os_user() {
  const char* user = std::getenv("USER");
  return user != nullptr ? user : "";
}

Block read_block_maybe_compressed(wire::Input& in, Revision negotiated, bool compressed) {
  if (!compressed) return read_block(in, negotiated);
  DecompressingInput plain(in);
  Block block = read_block(plain, negotiated);
  if (plain.buffered() != 0) throw ProtocolError("compressed frame holds bytes beyond the block");
  return block;
}

}  // namespace

void write_client_hello(wire::Buffer& out, const HelloParams& params) {
  write_code(out, ClientPacket::kHello);
  out.write_string(kClientName);
  out.write_varint(kClientVersionMajor);
  out.write_varint(kClientVersionMinor);
  out.write_varint(revision::kAdvertised);
  out.write_string(params.database);
  out.write_string(params.user);
  out.write_string(params.password);
}

void write_addendum(wire::Buffer& out, Revision negotiated) {
  if (negotiated >= revision::kAddendum) out.write_string("");  // quota key
}

void write_query(wire::Buffer& out, std::string_view sql, const QueryOptions& options, Revision negotiated,
                 bool compression) {
  if (!options.settings.empty() && negotiated < revision::kSettingsAsStrings) {
    throw UsageError(fmt::format(
        "per-query settings need server revision {} or later (this server speaks {}); use SET or a SETTINGS "
        "clause",
        revision::kSettingsAsStrings, negotiated));
  }
  write_code(out, ClientPacket::kQuery);
  out.write_string(options.query_id);

  if (negotiated >= revision::kClientInfo) {
    out.write_u8(static_cast<std::uint8_t>(QueryKind::kInitial));
    out.write_string("");                      // initial user
    out.write_string("");                      // initial query id
    out.write_string("[::ffff:127.0.0.1]:0");  // initial address; the server parses it as host:port
    if (negotiated >= revision::kInitialQueryStartTime) {
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      out.write_fixed<std::int64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
    }
    out.write_u8(static_cast<std::uint8_t>(Interface::kTcp));
    out.write_string(os_user());
    out.write_string(local_hostname());
    out.write_string(kClientName);
    out.write_varint(kClientVersionMajor);
    out.write_varint(kClientVersionMinor);
    out.write_varint(revision::kAdvertised);
    if (negotiated >= revision::kQuotaKeyInClientInfo) out.write_string("");  // quota key
    if (negotiated >= revision::kDistributedDepth) out.write_varint(0);
    if (negotiated >= revision::kVersionPatch) out.write_varint(kClientVersionPatch);
    if (negotiated >= revision::kOpenTelemetry) out.write_u8(0);  // no trace context
    if (negotiated >= revision::kParallelReplicas) {
      out.write_varint(0);  // collaborate_with_initiator
      out.write_varint(0);  // count_participating_replicas
      out.write_varint(0);  // number_of_current_replica
    }
  }

  for (const Setting& s : options.settings) {
    if (s.name.empty()) throw UsageError("a setting needs a name");
    out.write_string(s.name);
    out.write_varint(kSettingImportant);
    out.write_string(s.value);
  }
  out.write_string("");  // end of settings

  if (negotiated >= revision::kInterserverSecret) out.write_string("");
  out.write_varint(static_cast<std::uint64_t>(QueryStage::kComplete));
  out.write_varint(compression ? 1 : 0);
  out.write_string(sql);
  if (negotiated >= revision::kParameters) out.write_string("");  // no query parameters
}

void write_data(wire::Buffer& out, const Block& block, Revision negotiated, bool compression,
                wire::Buffer& scratch, const std::vector<std::string>* type_names) {
  write_code(out, ClientPacket::kData);
  if (negotiated >= revision::kTemporaryTables) out.write_string("");
  if (!compression) {
    write_block(block, out, negotiated, type_names);
    return;
  }
  scratch.clear();
  write_block(block, scratch, negotiated, type_names);
  compress_lz4(scratch.bytes(), out);
}

void write_ping(wire::Buffer& out) {
  write_code(out, ClientPacket::kPing);
}
void write_cancel(wire::Buffer& out) {
  write_code(out, ClientPacket::kCancel);
}

namespace {

std::vector<ServerException> read_exception_chain(wire::Input& in) {
  std::vector<ServerException> chain;
  while (true) {
    if (chain.size() >= kMaxNestedExceptions) throw ProtocolError("Exception nests more than 64 levels");
    ServerException e;
    e.code = in.read_fixed<std::int32_t>("Exception.code");
    e.name = in.read_string("Exception.name", kMaxMessageLength);
    e.message = in.read_string("Exception.message", kMaxMessageLength);
    e.stack_trace = in.read_string("Exception.stack_trace", kMaxMessageLength);
    const bool nested = in.read_u8("Exception.has_nested") != 0;
    chain.push_back(std::move(e));
    if (!nested) return chain;
  }
}

}  // namespace

std::string describe_exceptions(const std::vector<ServerException>& chain) {
  std::string text;
  for (const ServerException& e : chain) {
    if (!text.empty()) text += "; caused by: ";
    text += fmt::format("Code: {}, {}: {}", e.code, e.name, e.message);
  }
  return text;
}

ServerInfo read_server_hello(wire::Input& in, Revision advertised) {
  const std::uint64_t code = in.read_varint("packet code of the server Hello");
  if (code == static_cast<std::uint64_t>(ServerPacket::kException)) {
    const auto chain = read_exception_chain(in);
    throw ServerError(chain.front().code, chain.front().name, chain.front().message,
                      describe_exceptions(chain));
  }
  if (code != static_cast<std::uint64_t>(ServerPacket::kHello)) {
    throw ProtocolError(fmt::format("expected Hello (0) or Exception (2), got packet code {}", code));
  }
  ServerInfo info;
  info.name = in.read_string("Hello.server_name", kMaxNameLength);
  info.version_major = in.read_varint("Hello.version_major");
  info.version_minor = in.read_varint("Hello.version_minor");
  info.revision = in.read_varint("Hello.revision");
  info.negotiated_revision = info.revision < advertised ? info.revision : advertised;
  const Revision r = info.negotiated_revision;
  if (r >= revision::kServerTimezone) info.timezone = in.read_string("Hello.timezone", kMaxNameLength);
  if (r >= revision::kServerDisplayName)
    info.display_name = in.read_string("Hello.display_name", kMaxNameLength);
  info.version_patch = r >= revision::kVersionPatch ? in.read_varint("Hello.version_patch") : info.revision;
  return info;
}

ServerMessage read_server_packet(wire::Input& in, Revision negotiated, bool compression) {
  ServerMessage m;
  const std::uint64_t code = in.read_varint("packet code");
  m.type = static_cast<ServerPacket>(code);
  switch (m.type) {
    case ServerPacket::kData:
    case ServerPacket::kTotals:
    case ServerPacket::kExtremes:
      if (negotiated >= revision::kTemporaryTables) {
        m.table_name = in.read_string(fmt::format("{}.table_name", packet_name(m.type)), kMaxNameLength);
      }
      m.block = read_block_maybe_compressed(in, negotiated, compression);
      return m;
    case ServerPacket::kException:
      m.exceptions = read_exception_chain(in);
      return m;
    case ServerPacket::kProgress:
      m.progress.rows = in.read_varint("Progress.rows");
      m.progress.bytes = in.read_varint("Progress.bytes");
      if (negotiated >= revision::kTotalRowsInProgress)
        m.progress.total_rows = in.read_varint("Progress.total_rows");
      if (negotiated >= revision::kClientWriteInfo) {
        m.progress.written_rows = in.read_varint("Progress.written_rows");
        m.progress.written_bytes = in.read_varint("Progress.written_bytes");
      }
      return m;
    case ServerPacket::kPong:
    case ServerPacket::kEndOfStream:
      return m;
    case ServerPacket::kProfileInfo:
      m.profile_info.rows = in.read_varint("ProfileInfo.rows");
      m.profile_info.blocks = in.read_varint("ProfileInfo.blocks");
      m.profile_info.bytes = in.read_varint("ProfileInfo.bytes");
      m.profile_info.applied_limit = in.read_u8("ProfileInfo.applied_limit") != 0;
      m.profile_info.rows_before_limit = in.read_varint("ProfileInfo.rows_before_limit");
      (void)in.read_u8("ProfileInfo obsolete flag");
      return m;
    case ServerPacket::kLog:
    case ServerPacket::kProfileEvents:
      if (m.type == ServerPacket::kLog ? negotiated < revision::kServerLogs
                                       : negotiated < revision::kIncrementalProfileEvents) {
        break;
      }
      // Never compressed, whatever the query asked for.
      m.table_name = in.read_string(fmt::format("{}.table_name", packet_name(m.type)), kMaxNameLength);
      m.block = read_block(in, negotiated);
      return m;
    case ServerPacket::kTableColumns:
      if (negotiated < revision::kColumnDefaultsMetadata) break;
      m.table_name = in.read_string("TableColumns.table_name", kMaxNameLength);
      m.columns_description = in.read_string("TableColumns.description", kMaxMessageLength);
      return m;
    default:
      break;
  }
  throw ProtocolError(
      fmt::format("unexpected packet code {} ({}) at revision {}", code, packet_name(m.type), negotiated));
}

std::string_view packet_name(ServerPacket packet) {
  switch (packet) {
    case ServerPacket::kHello:
      return "Hello";
    case ServerPacket::kData:
      return "Data";
    case ServerPacket::kException:
      return "Exception";
    case ServerPacket::kProgress:
      return "Progress";
    case ServerPacket::kPong:
      return "Pong";
    case ServerPacket::kEndOfStream:
      return "EndOfStream";
    case ServerPacket::kProfileInfo:
      return "ProfileInfo";
    case ServerPacket::kTotals:
      return "Totals";
    case ServerPacket::kExtremes:
      return "Extremes";
    case ServerPacket::kTablesStatusResponse:
      return "TablesStatusResponse";
    case ServerPacket::kLog:
      return "Log";
    case ServerPacket::kTableColumns:
      return "TableColumns";
    case ServerPacket::kPartUuids:
      return "PartUUIDs";
    case ServerPacket::kReadTaskRequest:
      return "ReadTaskRequest";
    case ServerPacket::kProfileEvents:
      return "ProfileEvents";
  }
  return "unknown";
}

}  // namespace ypa::clickhouse
