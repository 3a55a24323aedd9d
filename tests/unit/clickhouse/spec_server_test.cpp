// The native protocol at revision 54459 as a 24.x+ server speaks it, checked against ClickHouse's published
// specification: https://clickhouse.com/docs/interfaces/specs/NativeProtocol (packets, version gates) and
// https://clickhouse.com/docs/interfaces/specs/NativeFormat (blocks). Every server packet below is written
// byte by byte from the specification's field tables with a LEB128/little-endian writer of this file (not
// with our encoders), and every client packet is compared with bytes built the same way. The scripted server
// follows the packet order of ClickHouse's TCPHandler (src/Server/TCPHandler.cpp). docs/protocol.md,
// "Checked against the published specification", lists what each test compares and what differed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "clickhouse/client.hpp"
#include "clickhouse/compression.hpp"

namespace ypa::clickhouse {
namespace {

// The revision a 24.12 server announces (ClickHouse's ProtocolDefines.h of that release) and the one the
// specification names for the release it documents. Both gate every field on the client's 54459.
constexpr Revision kServer24 = 54474;
constexpr Revision kServer26 = 54485;
constexpr Revision kOurs = 54459;

// Bytes as the specification spells them: VarUInt (LEB128), String (VarUInt length + bytes), fixed-width
// integers and floats little-endian. Chainable, so that a packet reads like its field table.
class Bytes {
 public:
  Bytes& var(std::uint64_t v) {
    do {
      auto byte = static_cast<std::uint8_t>(v & 0x7f);
      v >>= 7;
      if (v != 0) byte |= 0x80;
      s_.push_back(static_cast<char>(byte));
    } while (v != 0);
    return *this;
  }
  Bytes& str(std::string_view s) {
    var(s.size());
    s_.append(s);
    return *this;
  }
  Bytes& u8(std::uint8_t v) { return le(v); }
  template <typename T>
  Bytes& le(T v) {
    std::uint64_t u = 0;
    if constexpr (std::is_same_v<T, double>) {
      u = std::bit_cast<std::uint64_t>(v);
    } else {
      u = static_cast<std::uint64_t>(static_cast<std::make_unsigned_t<T>>(v));
    }
    for (std::size_t i = 0; i < sizeof(T); ++i) s_.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
    return *this;
  }
  Bytes& raw(std::string_view s) {
    s_.append(s);
    return *this;
  }
  // BlockInfo below revision 54480: field 1 is_overflows = 0, field 2 bucket_number = -1, terminator 0.
  Bytes& block_info() { return var(1).u8(0).var(2).le<std::int32_t>(-1).var(0); }
  // A column header at revision >= 54454: name, type, has_custom_serialization = 0.
  Bytes& column(std::string_view name, std::string_view type) { return str(name).str(type).u8(0); }
  const std::string& text() const { return s_; }

 private:
  std::string s_;
};

// A block body in a compressed frame (the Data packet's table name stays outside it).
std::string compressed(const Bytes& body) {
  wire::Buffer out;
  compress_lz4(std::as_bytes(std::span(body.text())), out);
  return std::string(out.view());
}

// --- the scripted server ---------------------------------------------------------------------------

struct Script {
  std::vector<std::string> replies;  // replies[n]: what the server sends after the client's n-th write
  std::vector<std::string> writes;   // each write of the client, as written
};

class ScriptedServer final : public wire::Transport {
 public:
  explicit ScriptedServer(std::shared_ptr<Script> script) : script_(std::move(script)) {}
  std::size_t read_some(std::span<std::byte> dst) override {
    if (pos_ == sent_.size()) throw wire::TimeoutError("the scripted server has nothing more to send");
    const std::size_t n = std::min(dst.size(), sent_.size() - pos_);
    std::memcpy(dst.data(), sent_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  void write_all(std::span<const std::byte> src) override {
    script_->writes.emplace_back(reinterpret_cast<const char*>(src.data()), src.size());
    const std::size_t n = script_->writes.size() - 1;
    if (n < script_->replies.size()) sent_ += script_->replies[n];
  }
  bool readable_now() override { return pos_ < sent_.size(); }
  const wire::Endpoint& endpoint() const override { return endpoint_; }

 private:
  std::shared_ptr<Script> script_;
  std::string sent_;
  std::size_t pos_ = 0;
  wire::Endpoint endpoint_{"scripted", 9000};
};

ClientOptions scripted(const std::shared_ptr<Script>& script, bool compression) {
  ClientOptions o;
  o.database = "prices";
  o.user = "ypa";
  o.password = "s3cret";
  o.compression = compression;
  o.transport_factory = [script](const wire::Endpoint&, const wire::Timeouts&) {
    return std::make_unique<ScriptedServer>(script);
  };
  return o;
}

// --- server packets, field by field from the specification -------------------------------------------

// ServerHello at a client revision of 54459: name, major, minor, revision, timezone (54058), display name
// (54372), patch (54401). Password rules (54461), nonce (54462), chunked-framing strings (54470), the
// parallel-replicas version (54471) and server settings (54474) are gated on the client's revision: absent.
std::string server_hello(Revision revision, std::uint64_t major, std::uint64_t minor, std::uint64_t patch) {
  return Bytes()
      .var(0)
      .str("ClickHouse")
      .var(major)
      .var(minor)
      .var(revision)
      .str("Europe/Berlin")
      .str("ch-24.example.net")
      .var(patch)
      .text();
}

// Log (10): "" and a block of the 8 fixed columns, one row per log line.
struct LogLine {
  std::uint32_t time;
  std::uint32_t micros;
  std::uint64_t thread;
  std::int8_t priority;
  std::string source;
  std::string text;
};
std::string log_packet(const std::vector<LogLine>& lines) {
  Bytes b;
  b.var(10).str("").block_info().var(8).var(lines.size());
  b.column("event_time", "DateTime");
  for (const auto& l : lines) b.le<std::uint32_t>(l.time);
  b.column("event_time_microseconds", "UInt32");
  for (const auto& l : lines) b.le<std::uint32_t>(l.micros);
  b.column("host_name", "String");
  for (std::size_t i = 0; i < lines.size(); ++i) b.str("ch-24.example.net");
  b.column("query_id", "String");
  for (std::size_t i = 0; i < lines.size(); ++i) b.str("q-7");
  b.column("thread_id", "UInt64");
  for (const auto& l : lines) b.le<std::uint64_t>(l.thread);
  b.column("priority", "Int8");
  for (const auto& l : lines) b.le<std::int8_t>(l.priority);
  b.column("source", "String");
  for (const auto& l : lines) b.str(l.source);
  b.column("text", "String");
  for (const auto& l : lines) b.str(l.text);
  return b.text();
}

// ProfileEvents (14): "" and a block of the 6 fixed columns, one row per event.
struct Event {
  std::int8_t type;  // 1 increment, 2 gauge
  std::string name;
  std::int64_t value;
};
constexpr std::string_view kEventType = "Enum8('increment' = 1, 'gauge' = 2)";
std::string profile_events_packet(const std::vector<Event>& events, std::string_view value_type = "Int64") {
  Bytes b;
  b.var(14).str("").block_info().var(6).var(events.size());
  b.column("host_name", "String");
  for (std::size_t i = 0; i < events.size(); ++i) b.str("ch-24.example.net");
  b.column("current_time", "DateTime");
  for (std::size_t i = 0; i < events.size(); ++i) b.le<std::uint32_t>(1733011200);
  b.column("thread_id", "UInt64");
  for (std::size_t i = 0; i < events.size(); ++i) b.le<std::uint64_t>(0);
  b.column("type", kEventType);
  for (const auto& e : events) b.le<std::int8_t>(e.type);
  b.column("name", "String");
  for (const auto& e : events) b.str(e.name);
  b.column("value", value_type);
  for (const auto& e : events) b.le<std::int64_t>(e.value);
  return b.text();
}

// Progress (3) at 54459: rows, bytes, total_rows, written_rows, written_bytes (54420); total_bytes (54463)
// and elapsed_ns (54460) are above our revision.
std::string progress_packet(std::uint64_t rows, std::uint64_t bytes, std::uint64_t total, std::uint64_t wrows,
                            std::uint64_t wbytes) {
  return Bytes().var(3).var(rows).var(bytes).var(total).var(wrows).var(wbytes).text();
}

std::string text(const Column& c, std::size_t row) {
  std::string out;
  c.append_text(row, out);
  return out;
}

// --- handshake -----------------------------------------------------------------------------------------

TEST(SpecHandshake, HelloAddendumAndServerHelloOfNewerServers) {
  for (const auto& [revision, major, minor, patch] :
       std::vector<std::tuple<Revision, int, int, int>>{{kServer24, 24, 12, 3}, {kServer26, 26, 1, 2}}) {
    auto script = std::make_shared<Script>();
    script->replies = {server_hello(revision, major, minor, patch), "", Bytes().var(4).text()};
    Client c(scripted(script, true));

    const ServerInfo& info = c.server_info();
    EXPECT_EQ(info.name, "ClickHouse");
    EXPECT_EQ(info.version_major, static_cast<std::uint64_t>(major));
    EXPECT_EQ(info.version_minor, static_cast<std::uint64_t>(minor));
    EXPECT_EQ(info.version_patch, static_cast<std::uint64_t>(patch));
    EXPECT_EQ(info.revision, revision);
    EXPECT_EQ(info.negotiated_revision, kOurs);  // min(client, server)
    EXPECT_EQ(info.timezone, "Europe/Berlin");
    EXPECT_EQ(info.display_name, "ch-24.example.net");

    ASSERT_EQ(script->writes.size(), 2u);
    // ClientHello: name, major, minor, protocol_version, database, user, password.
    EXPECT_EQ(script->writes[0], Bytes()
                                     .var(0)
                                     .str("ypa-engine")
                                     .var(0)
                                     .var(1)
                                     .var(kOurs)
                                     .str("prices")
                                     .str("ypa")
                                     .str("s3cret")
                                     .text());
    // Addendum at negotiated >= 54458: quota_key only (the chunked strings are 54470, the parallel-replicas
    // version 54471); no packet type in front.
    EXPECT_EQ(script->writes[1], Bytes().str("").text());

    // In step: the next exchange is read from the first byte after the Hello.
    c.ping();
    EXPECT_EQ(script->writes.back(), Bytes().var(4).text());
  }
}

TEST(SpecHandshake, ExceptionInsteadOfHelloEndsTheConnection) {
  auto script = std::make_shared<Script>();
  script->replies = {
      Bytes()
          .var(2)
          .le<std::int32_t>(516)
          .str("DB::Exception")
          .str("ypa: Authentication failed: password is incorrect, or there is no user with such "
               "name. (AUTHENTICATION_FAILED)")
          .str("")
          .u8(0)
          .text()};
  try {
    Client c(scripted(script, true));
    FAIL() << "the connection was accepted";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), 516);
    EXPECT_EQ(e.name(), "DB::Exception");
    EXPECT_NE(e.message().find("Authentication failed"), std::string::npos);
  }
  EXPECT_EQ(script->writes.size(), 1u);  // no addendum after an Exception
}

// --- the Query packet ------------------------------------------------------------------------------------

TEST(SpecQuery, QueryPacketAt54459ByteForByte) {
  QueryOptions options;
  options.query_id = "q-7";
  options.settings = {{"max_threads", "4"}, {"send_logs_level", "trace"}};
  wire::Buffer out;
  const auto now_us = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const std::int64_t before = now_us();
  write_query(out, "SELECT 1", options, kOurs, true);
  const std::int64_t after = now_us();
  const std::string got(out.view());

  // Query: query_id, then ClientInfo fields 1-4.
  const std::string head =
      Bytes()
          .var(1)
          .str("q-7")
          .u8(1)                        // query_kind: InitialQuery
          .str("")                      // initial_user
          .str("")                      // initial_query_id
          .str("[::ffff:127.0.0.1]:0")  // initial_address: bracketed IPv6 literal and port
          .text();
  ASSERT_EQ(got.substr(0, head.size()), head);
  // ClientInfo field 5, initial_time (54449): Int64 microseconds, fixed width.
  ASSERT_GE(got.size(), head.size() + 8);
  std::int64_t start = 0;
  for (int i = 7; i >= 0; --i) {
    start = (start << 8) | static_cast<std::uint8_t>(got[head.size() + static_cast<std::size_t>(i)]);
  }
  EXPECT_GE(start, before);
  EXPECT_LE(start, after);

  const char* user = std::getenv("USER");
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  const std::string expected = Bytes()
                                   .raw(head)
                                   .le<std::int64_t>(start)
                                   .u8(1)  // query_interface: TCP
                                   .str(user != nullptr ? user : "")
                                   .str(host)
                                   .str("ypa-engine")
                                   .var(0)      // version_major
                                   .var(1)      // version_minor
                                   .var(kOurs)  // the client's own protocol version
                                   .str("")     // quota_key (54060)
                                   .var(0)      // distributed_depth (54448)
                                   .var(0)      // version_patch (54401)
                                   .u8(0)       // OpenTelemetry: no trace (54442)
                                   .var(0)      // collaborate_with_initiator (54453)
                                   .var(0)      // count_participating_replicas
                                   .var(0)      // number_of_current_replica
                                   // Settings (54429+): key, flags VarUInt (0x01 Important), value String.
                                   .str("max_threads")
                                   .var(0x01)
                                   .str("4")
                                   .str("send_logs_level")
                                   .var(0x01)
                                   .str("trace")
                                   .str("")  // end of settings: a single empty key
                                   .str("")  // auth_hash (54441): empty from an external client
                                   .var(2)   // stage: Complete
                                   .var(1)   // compression on
                                   .str("SELECT 1")
                                   .str("")  // parameters (54459): none, just the empty key
                                   .text();
  EXPECT_EQ(got, expected);
}

// --- server packets, decoded field by field ------------------------------------------------------------

TEST(SpecPackets, ProgressAt54459CarriesWrittenRowsAndNoElapsedTime) {
  const std::string bytes = progress_packet(10, 8000, 1000, 7, 560) + Bytes().var(4).text();
  wire::MemoryInput in(bytes);
  const ServerMessage m = read_server_packet(in, kOurs, true);
  ASSERT_EQ(m.type, ServerPacket::kProgress);
  EXPECT_EQ(m.progress.rows, 10u);
  EXPECT_EQ(m.progress.bytes, 8000u);
  EXPECT_EQ(m.progress.total_rows, 1000u);
  EXPECT_EQ(m.progress.written_rows, 7u);
  EXPECT_EQ(m.progress.written_bytes, 560u);
  // No elapsed_ns at 54459: the next byte is the next packet.
  EXPECT_EQ(read_server_packet(in, kOurs, true).type, ServerPacket::kPong);
  EXPECT_TRUE(in.at_end());
}

TEST(SpecPackets, LogBlockDecodesFieldByField) {
  const std::string bytes =
      log_packet({{1733011200, 123456, 4242, 7, "executeQuery", "(from [::1]:5000) SELECT 1"},
                  {1733011201, 999999, 4243, 8, "ContextAccess (ypa)",
                   "Access granted: SELECT(dummy) ON system.one"}}) +
      Bytes().var(5).text();
  wire::MemoryInput in(bytes);
  // Compression on for the query: Log blocks still travel uncompressed below 54481.
  const ServerMessage m = read_server_packet(in, kOurs, true);
  ASSERT_EQ(m.type, ServerPacket::kLog);
  EXPECT_EQ(m.table_name, "");
  const Block& b = m.block;
  ASSERT_EQ(b.column_count(), 8u);
  ASSERT_EQ(b.row_count(), 2u);
  const std::vector<std::pair<std::string, std::string>> schema = {
      {"event_time", "DateTime"}, {"event_time_microseconds", "UInt32"},
      {"host_name", "String"},    {"query_id", "String"},
      {"thread_id", "UInt64"},    {"priority", "Int8"},
      {"source", "String"},       {"text", "String"}};
  for (std::size_t i = 0; i < schema.size(); ++i) {
    EXPECT_EQ(b.name(i), schema[i].first);
    EXPECT_EQ(b.column(i).type_name(), schema[i].second);
  }
  EXPECT_EQ(b.column(0).as<ColumnDateTime>()[1], 1733011201u);
  EXPECT_EQ(b.column(1).as<ColumnUInt32>()[0], 123456u);
  EXPECT_EQ(b.column(2).as<ColumnString>()[0], "ch-24.example.net");
  EXPECT_EQ(b.column(3).as<ColumnString>()[1], "q-7");
  EXPECT_EQ(b.column(4).as<ColumnUInt64>()[1], 4243u);
  EXPECT_EQ(b.column(5).as<ColumnInt8>()[0], 7);  // Poco priority: 7 Debug, 8 Trace
  EXPECT_EQ(b.column(5).as<ColumnInt8>()[1], 8);
  EXPECT_EQ(b.column(6).as<ColumnString>()[1], "ContextAccess (ypa)");
  EXPECT_EQ(b.column(7).as<ColumnString>()[0], "(from [::1]:5000) SELECT 1");
  EXPECT_EQ(read_server_packet(in, kOurs, true).type, ServerPacket::kEndOfStream);
  EXPECT_TRUE(in.at_end());
}

TEST(SpecPackets, ProfileEventsBlockDecodesFieldByField) {
  const std::string bytes = profile_events_packet({{1, "SelectedRows", 2},
                                                   {2, "MemoryTrackerUsage", -2048},
                                                   {2, "MemoryTrackerPeakUsage", 4194304}}) +
                            Bytes().var(4).text();
  wire::MemoryInput in(bytes);
  const ServerMessage m = read_server_packet(in, kOurs, true);  // never compressed below 54481
  ASSERT_EQ(m.type, ServerPacket::kProfileEvents);
  EXPECT_EQ(m.table_name, "");
  const Block& b = m.block;
  ASSERT_EQ(b.column_count(), 6u);
  ASSERT_EQ(b.row_count(), 3u);
  const std::vector<std::string> names = {"host_name", "current_time", "thread_id", "type", "name", "value"};
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(b.name(i), names[i]);
  EXPECT_EQ(b.column(0).as<ColumnString>()[2], "ch-24.example.net");
  EXPECT_EQ(b.column(1).as<ColumnDateTime>()[0], 1733011200u);
  EXPECT_EQ(b.column(2).as<ColumnUInt64>()[0], 0u);
  EXPECT_EQ(b.column(3).type_name(), kEventType);
  EXPECT_EQ(b.column(3).as<ColumnEnum8>()[0], 1);
  EXPECT_EQ(text(b.column(3), 0), "increment");
  EXPECT_EQ(text(b.column(3), 1), "gauge");
  EXPECT_EQ(b.column(4).as<ColumnString>()[1], "MemoryTrackerUsage");
  EXPECT_EQ(b.column(5).as<ColumnInt64>()[1], -2048);  // a gauge can be negative: Int64
  EXPECT_EQ(b.column(5).as<ColumnInt64>()[2], 4194304);
  EXPECT_EQ(read_server_packet(in, kOurs, true).type, ServerPacket::kPong);
  EXPECT_TRUE(in.at_end());

  // Older servers wrote the value column as UInt64; the type string in the block says which.
  const std::string old = profile_events_packet({{1, "Query", 1}}, "UInt64");
  wire::MemoryInput in2(old);
  const ServerMessage m2 = read_server_packet(in2, kOurs, false);
  EXPECT_EQ(m2.block.column(5).as<ColumnUInt64>()[0], 1u);
  EXPECT_TRUE(in2.at_end());
}

TEST(SpecPackets, TableColumnsIsTwoStrings) {
  const std::string description =
      "columns format version: 1\n3 columns:\n`run_id` String\n`n` UInt32\tDEFAULT\t7\n`v` "
      "Nullable(Float64)\n";
  const std::string bytes = Bytes().var(11).str("").str(description).var(5).text();
  wire::MemoryInput in(bytes);
  const ServerMessage m = read_server_packet(in, kOurs, true);  // not compressed below 54481
  ASSERT_EQ(m.type, ServerPacket::kTableColumns);
  EXPECT_EQ(m.table_name, "");
  EXPECT_EQ(m.columns_description, description);
  EXPECT_EQ(read_server_packet(in, kOurs, true).type, ServerPacket::kEndOfStream);
  EXPECT_TRUE(in.at_end());
}

TEST(SpecPackets, ExceptionsOfNewAndOldServers) {
  // 24.x: has_nested is always written false; the causes are part of the message text.
  const std::string now = Bytes()
                              .var(2)
                              .le<std::int32_t>(60)
                              .str("DB::Exception")
                              .str("Table prices.missing does not exist. (UNKNOWN_TABLE)")
                              .str("0. DB::Exception::Exception(...)")
                              .u8(0)
                              .var(4)
                              .text();
  wire::MemoryInput in(now);
  const ServerMessage m = read_server_packet(in, kOurs, true);
  ASSERT_EQ(m.type, ServerPacket::kException);
  ASSERT_EQ(m.exceptions.size(), 1u);
  EXPECT_EQ(m.exceptions[0].code, 60);
  EXPECT_EQ(m.exceptions[0].name, "DB::Exception");
  EXPECT_EQ(m.exceptions[0].message, "Table prices.missing does not exist. (UNKNOWN_TABLE)");
  EXPECT_EQ(m.exceptions[0].stack_trace, "0. DB::Exception::Exception(...)");
  EXPECT_EQ(read_server_packet(in, kOurs, true).type, ServerPacket::kPong);
  EXPECT_TRUE(in.at_end());

  // Servers before the field went obsolete chained causes with has_nested = 1; the chain is followed.
  const std::string chained = Bytes()
                                  .var(2)
                                  .le<std::int32_t>(1000)
                                  .str("DB::Exception")
                                  .str("outer")
                                  .str("")
                                  .u8(1)
                                  .le<std::int32_t>(-3)
                                  .str("Poco::Exception")
                                  .str("inner")
                                  .str("")
                                  .u8(0)
                                  .var(5)
                                  .text();
  wire::MemoryInput in2(chained);
  const ServerMessage m2 = read_server_packet(in2, kOurs, false);
  ASSERT_EQ(m2.exceptions.size(), 2u);
  EXPECT_EQ(m2.exceptions[1].code, -3);
  EXPECT_EQ(m2.exceptions[1].name, "Poco::Exception");
  EXPECT_EQ(describe_exceptions(m2.exceptions),
            "Code: 1000, DB::Exception: outer; caused by: Code: -3, Poco::Exception: inner");
  EXPECT_EQ(read_server_packet(in2, kOurs, false).type, ServerPacket::kEndOfStream);
  EXPECT_TRUE(in2.at_end());
}

TEST(SpecPackets, ProfileInfoAt54459HasSixFields) {
  // rows, blocks, bytes, applied_limit, rows_before_limit, the obsolete flag (always true); the
  // aggregation pair is 54469.
  const std::string bytes = Bytes().var(6).var(2).var(1).var(16).u8(1).var(40).u8(1).var(5).text();
  wire::MemoryInput in(bytes);
  const ServerMessage m = read_server_packet(in, kOurs, true);
  ASSERT_EQ(m.type, ServerPacket::kProfileInfo);
  EXPECT_EQ(m.profile_info.rows, 2u);
  EXPECT_EQ(m.profile_info.blocks, 1u);
  EXPECT_EQ(m.profile_info.bytes, 16u);
  EXPECT_TRUE(m.profile_info.applied_limit);
  EXPECT_EQ(m.profile_info.rows_before_limit, 40u);
  EXPECT_EQ(read_server_packet(in, kOurs, true).type, ServerPacket::kEndOfStream);
  EXPECT_TRUE(in.at_end());
}

TEST(SpecPackets, TimezoneUpdateIsAboveOurRevision) {
  // TimezoneUpdate (17) is gated at 54464 (and sent only for input()); at 54459 it is a protocol violation.
  const std::string bytes = Bytes().var(17).str("Europe/Berlin").text();
  wire::MemoryInput in(bytes);
  try {
    read_server_packet(in, kOurs, false);
    FAIL() << "TimezoneUpdate accepted at 54459";
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("17"), std::string::npos) << e.what();
  }
}

// --- whole exchanges with the client ----------------------------------------------------------------------

TEST(SpecClient, SelectWithLogsAndProfileEventsStaysInStep) {
  for (const bool compression : {true, false}) {
    // Data packets: "" outside, the block inside the compression frame when the query asked for it.
    const auto data = [&](const Bytes& body) {
      return Bytes().var(1).str("").text() + (compression ? compressed(body) : body.text());
    };
    Bytes header;
    header.block_info().var(2).var(0).column("n", "UInt64").column("s", "String");
    Bytes rows;
    rows.block_info().var(2).var(2);
    rows.column("n", "UInt64").le<std::uint64_t>(5).le<std::uint64_t>(6);
    rows.column("s", "String").str("a").str("b");
    Bytes totals;  // WITH TOTALS: one row, the same layout as Data
    totals.block_info().var(2).var(1);
    totals.column("n", "UInt64").le<std::uint64_t>(11);
    totals.column("s", "String").str("");
    Bytes end;
    end.block_info().var(0).var(0);
    const auto other = [&](std::uint64_t code, const Bytes& body) {
      return Bytes().var(code).str("").text() + (compression ? compressed(body) : body.text());
    };

    // TCPHandler's order: header, logs, progress, data, Totals, Extremes, ProfileInfo, progress, logs,
    // ProfileEvents, the empty block, a last progress, logs, EndOfStream.
    const std::string stream =
        data(header) + log_packet({{1733011200, 1, 9, 7, "executeQuery", "(from [::1]:5000) SELECT n, s"}}) +
        progress_packet(2, 32, 2, 0, 0) + data(rows) + other(7, totals) + other(8, rows) +
        Bytes().var(6).var(2).var(1).var(32).u8(0).var(0).u8(1).text() + progress_packet(0, 0, 0, 0, 0) +
        profile_events_packet({{1, "SelectedRows", 2}, {2, "MemoryTrackerUsage", 1}}) + data(end) +
        progress_packet(0, 0, 0, 0, 0) + log_packet({{1733011201, 2, 9, 7, "MemoryTracker", "Peak"}}) +
        Bytes().var(5).text();

    auto script = std::make_shared<Script>();
    script->replies = {server_hello(kServer24, 24, 12, 3), "", stream, Bytes().var(4).text()};
    Client c(scripted(script, compression));
    QueryOptions options;
    options.settings = {{"send_logs_level", "trace"}};
    const auto result = c.select_rows("SELECT n, s FROM t", options);
    ASSERT_EQ(result.size(), 2u) << compression;
    EXPECT_EQ(result[0], (TextRow{"5", "a"}));
    EXPECT_EQ(result[1], (TextRow{"6", "b"}));
    EXPECT_EQ(c.last_progress().rows, 2u);
    EXPECT_EQ(c.last_progress().bytes, 32u);
    EXPECT_EQ(c.last_progress().total_rows, 2u);
    // The setting went out as a string with the Important flag; the query ends with the text, the empty
    // parameter list and the empty Data block (compressed like every block of this query).
    EXPECT_NE(script->writes[2].find(Bytes().str("send_logs_level").var(1).str("trace").str("").text()),
              std::string::npos);
    const std::string tail = Bytes().str("SELECT n, s FROM t").str("").var(2).str("").text() +
                             (compression ? compressed(end) : end.text());
    ASSERT_GE(script->writes[2].size(), tail.size());
    EXPECT_EQ(script->writes[2].substr(script->writes[2].size() - tail.size()), tail);
    c.ping();  // nothing of the stream was left unread
    EXPECT_TRUE(c.connected());
  }
}

TEST(SpecClient, InsertWithTableColumnsLogsAndProfileEvents) {
  Bytes sample;
  sample.var(1).str("").block_info().var(3).var(0);
  sample.column("run_id", "String").column("n", "UInt32").column("v", "Nullable(Float64)");
  const std::string description =
      "columns format version: 1\n3 columns:\n`run_id` String\n`n` UInt32\n`v` Nullable(Float64)\n";

  // TCPHandler at 54459, synchronous INSERT: TableColumns and the sample block, then the logs of planning
  // (startInsertQuery); for each block the logs and ProfileEvents; after the empty block ProfileEvents,
  // logs and EndOfStream.
  const std::string after_query =
      Bytes().var(11).str("").str(description).text() + sample.text() +
      log_packet({{1733011200, 1, 9, 7, "executeQuery", "(from [::1]:5000) INSERT INTO prices.t VALUES"}});
  const std::string after_block =
      log_packet({{1733011200, 2, 9, 8, "MergeTreeDataWriter", "Renaming temporary part"}}) +
      profile_events_packet({{1, "InsertedRows", 2}, {2, "MemoryTrackerUsage", 4096}});
  const std::string after_end =
      profile_events_packet({{1, "InsertQuery", 1}}) +
      log_packet({{1733011201, 3, 9, 7, "executeQuery", "Peak memory usage: 4 KiB"}}) + Bytes().var(5).text();

  auto script = std::make_shared<Script>();
  script->replies = {
      server_hello(kServer24, 24, 12, 3), "", after_query, after_block, after_end, Bytes().var(4).text()};
  Client c(scripted(script, false));  // uncompressed, so that the data block can be compared byte by byte

  Inserter ins = c.begin_insert("prices.t", {"run_id", "n", "v"});
  Block block = ins.make_block();
  block.column(0).as<ColumnString>().append("a");
  block.column(0).as<ColumnString>().append("b");
  block.column(1).as<ColumnUInt32>().append(1);
  block.column(1).as<ColumnUInt32>().append(2);
  block.column(2).as<ColumnNullable>().append<ColumnFloat64>(std::optional<double>{1.5});
  block.column(2).as<ColumnNullable>().append<ColumnFloat64>(std::optional<double>{});
  ins.write(block);
  EXPECT_EQ(ins.finish(), 2u);
  c.ping();
  EXPECT_TRUE(c.connected());

  ASSERT_EQ(script->writes.size(), 6u);
  // The query, then the empty Data block that ends the (absent) external tables. The specification's INSERT
  // phase says to leave it out; the server reads external tables up to an empty block before any query,
  // INSERT included (docs/protocol.md), so it is sent, as clickhouse-client does.
  const std::string empty_data = Bytes().var(2).str("").block_info().var(0).var(0).text();
  EXPECT_NE(script->writes[2].find(Bytes().str("INSERT INTO prices.t (`run_id`, `n`, `v`) VALUES").text()),
            std::string::npos);
  EXPECT_EQ(script->writes[2].substr(script->writes[2].size() - empty_data.size()), empty_data);
  // The rows: Data, "", BlockInfo, 3 columns, 2 rows, each column with its serialization byte; Nullable is
  // the null map then the nested values with a default under the NULL.
  EXPECT_EQ(script->writes[3], Bytes()
                                   .var(2)
                                   .str("")
                                   .block_info()
                                   .var(3)
                                   .var(2)
                                   .column("run_id", "String")
                                   .str("a")
                                   .str("b")
                                   .column("n", "UInt32")
                                   .le<std::uint32_t>(1)
                                   .le<std::uint32_t>(2)
                                   .column("v", "Nullable(Float64)")
                                   .u8(0)
                                   .u8(1)
                                   .le<double>(1.5)
                                   .le<double>(0.0)
                                   .text());
  EXPECT_EQ(script->writes[4], empty_data);  // the end of the rows
}

TEST(SpecClient, CancelledSelectEndsWithEndOfStream) {
  // Cancel (3, no body) in the middle of a result: a 24.x server stops, may still send what was in
  // flight, and ends with EndOfStream (QUERY_WAS_CANCELLED_BY_CLIENT is answered that way, not with an
  // Exception).
  const auto data = [](std::uint64_t first, std::uint64_t count) {
    Bytes b;
    b.var(1).str("").block_info().var(1).var(count).column("n", "UInt64");
    for (std::uint64_t i = 0; i < count; ++i) b.le<std::uint64_t>(first + i);
    return b.text();
  };
  const std::string before_cancel = data(0, 0) + data(1, 3);
  const std::string after_cancel = data(4, 3) + Bytes().var(1).str("").block_info().var(0).var(0).text() +
                                   progress_packet(6, 48, 0, 0, 0) +
                                   profile_events_packet({{1, "SelectedRows", 6}}) + Bytes().var(5).text();
  auto script = std::make_shared<Script>();
  script->replies = {server_hello(kServer24, 24, 12, 3), "", before_cancel, after_cancel,
                     Bytes().var(4).text()};
  Client c(scripted(script, false));
  std::vector<std::uint64_t> seen;
  const bool complete = c.select_while("SELECT n FROM t", [&](const Block& b) {
    for (std::size_t r = 0; r < b.row_count(); ++r) seen.push_back(b.column(0).as<ColumnUInt64>()[r]);
    return false;
  });
  EXPECT_FALSE(complete);
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 3}));  // nothing after the cancel reaches the caller
  ASSERT_EQ(script->writes.size(), 4u);
  EXPECT_EQ(script->writes[3], Bytes().var(3).text());
  c.ping();
  EXPECT_TRUE(c.connected());
}

TEST(SpecClient, InsertSelectReportsWrittenRowsAndBytes) {
  // A completed pipeline (INSERT ... SELECT): Progress increments with read and written counters,
  // ProfileEvents, a last Progress after onFinish, EndOfStream. No header block.
  const std::string stream =
      progress_packet(1000, 64000, 1000, 0, 0) + progress_packet(0, 0, 0, 1000, 48000) +
      profile_events_packet({{1, "InsertedRows", 1000}}) + progress_packet(24, 1536, 24, 24, 1152) +
      profile_events_packet({{1, "InsertedRows", 24}}) + Bytes().var(5).text();
  auto script = std::make_shared<Script>();
  script->replies = {server_hello(kServer24, 24, 12, 3), "", stream, Bytes().var(4).text()};
  Client c(scripted(script, true));
  c.execute("INSERT INTO prices.t SELECT * FROM prices.s");
  EXPECT_EQ(c.last_progress().rows, 1024u);
  EXPECT_EQ(c.last_progress().bytes, 65536u);
  EXPECT_EQ(c.last_progress().total_rows, 1024u);
  EXPECT_EQ(c.last_progress().written_rows, 1024u);
  EXPECT_EQ(c.last_progress().written_bytes, 49152u);
  c.ping();
  EXPECT_TRUE(c.connected());
}

TEST(SpecClient, ServerExceptionKeepsTheConnectionInStep) {
  // Logs go out before the Exception; the server then skips the client's leftover data and answers Ping.
  const std::string stream = log_packet({{1733011200, 1, 9, 3, "executeQuery",
                                          "Code: 60. DB::Exception: Table prices.missing does not exist"}}) +
                             Bytes()
                                 .var(2)
                                 .le<std::int32_t>(60)
                                 .str("DB::Exception")
                                 .str("Table prices.missing does not exist. (UNKNOWN_TABLE)")
                                 .str("")
                                 .u8(0)
                                 .text();
  auto script = std::make_shared<Script>();
  script->replies = {server_hello(kServer24, 24, 12, 3), "", stream, Bytes().var(4).text(),
                     Bytes().var(4).text()};
  Client c(scripted(script, true));
  try {
    c.execute("SELECT * FROM prices.missing");
    FAIL() << "no ServerError";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), 60);
    EXPECT_EQ(e.message(), "Table prices.missing does not exist. (UNKNOWN_TABLE)");
  }
  EXPECT_TRUE(c.connected());
  c.ping();
  EXPECT_EQ(script->writes.size(), 5u);
}

}  // namespace
}  // namespace ypa::clickhouse
