// The packet layer and the client's state machine against a scripted in-memory server: revision
// gates in what we send, decoding of every server packet, and a SELECT and an INSERT end to end.
#include "clickhouse/client.hpp"

#include <gtest/gtest.h>

#include "clickhouse/compression.hpp"

namespace ypa::clickhouse {
namespace {

// A transport whose "server" answers are fixed in advance, one per client write (the reply to the
// client's n-th write becomes readable after it); what the client writes is recorded.
class ScriptedTransport final : public wire::Transport {
 public:
  ScriptedTransport(std::vector<std::string> turns, std::string* written)
      : turns_(std::move(turns)), written_(written) {}
  std::size_t read_some(std::span<std::byte> dst) override {
    if (pos_ == available_.size()) throw wire::TimeoutError("scripted server has nothing more to say");
    const std::size_t n = std::min(dst.size(), available_.size() - pos_);
    std::memcpy(dst.data(), available_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  void write_all(std::span<const std::byte> src) override {
    written_->append(reinterpret_cast<const char*>(src.data()), src.size());
    if (writes_ < turns_.size()) available_ += turns_[writes_];
    ++writes_;
  }
  bool readable_now() override { return pos_ < available_.size(); }
  const wire::Endpoint& endpoint() const override { return endpoint_; }

 private:
  std::vector<std::string> turns_;
  std::string* written_;
  std::string available_;
  std::size_t pos_ = 0;
  std::size_t writes_ = 0;
  wire::Endpoint endpoint_{"scripted", 9000};
};

wire::Buffer hello(Revision revision) {
  wire::Buffer b;
  b.write_varint(0);
  b.write_string("ClickHouse");
  b.write_varint(18);
  b.write_varint(16);
  b.write_varint(revision);
  b.write_string("Etc/UTC");
  b.write_string("box");
  b.write_varint(1);
  return b;
}

void data_packet(wire::Buffer& out, const Block& block, Revision revision, bool compressed) {
  out.write_varint(static_cast<std::uint64_t>(ServerPacket::kData));
  out.write_string("");
  wire::Buffer body;
  write_block(block, body, revision);
  if (compressed) {
    compress_lz4(body.bytes(), out);
  } else {
    out.write(body.view().data(), body.size());
  }
}

std::string bytes(const wire::Buffer& b) {
  return std::string(b.view());
}

ClientOptions scripted(std::vector<std::string> turns, std::string* written, bool compression = true) {
  ClientOptions o;
  o.compression = compression;
  o.transport_factory = [turns = std::move(turns), written](const wire::Endpoint&, const wire::Timeouts&) {
    return std::make_unique<ScriptedTransport>(turns, written);
  };
  return o;
}

TEST(Packets, QueryFieldsFollowTheRevision) {
  wire::Buffer old_server;
  write_query(old_server, "SELECT 1", {}, 54412, true);
  wire::Buffer new_server;
  write_query(new_server, "SELECT 1", {}, 54459, true);
  // 54459 adds: start time Int64 (8), distributed depth (1), OpenTelemetry flag (1), three parallel
  // replica varints (3), interserver secret (1), empty parameter list (1).
  EXPECT_EQ(new_server.size(), old_server.size() + 15);
  // Ends with stage 2 (Complete), compression 1, then the query text.
  EXPECT_EQ(old_server.view().substr(old_server.size() - 11), std::string_view("\x02\x01\x08SELECT 1", 11));
}

TEST(Packets, SettingsNeedStringSettingsRevision) {
  QueryOptions o;
  o.settings.push_back({"max_threads", "1"});
  wire::Buffer b;
  EXPECT_THROW(write_query(b, "SELECT 1", o, 54412, false), UsageError);
  EXPECT_TRUE(b.empty());
  write_query(b, "SELECT 1", o, 54459, false);
  EXPECT_NE(b.view().find("max_threads"), std::string_view::npos);
}

TEST(Packets, DecodesProgressPerRevision) {
  wire::Buffer b;
  b.write_varint(3);
  for (int v : {10, 20, 30}) b.write_varint(static_cast<std::uint64_t>(v));
  wire::MemoryInput in(b.view());
  const ServerMessage m = read_server_packet(in, 54412, false);
  EXPECT_EQ(m.progress.rows, 10u);
  EXPECT_EQ(m.progress.total_rows, 30u);
  EXPECT_EQ(m.progress.written_rows, 0u);
  EXPECT_TRUE(in.at_end());
  wire::Buffer c;
  c.write_varint(3);
  for (int v : {1, 2, 3, 4, 5}) c.write_varint(static_cast<std::uint64_t>(v));
  wire::MemoryInput in2(c.view());
  EXPECT_EQ(read_server_packet(in2, 54459, false).progress.written_bytes, 5u);
  EXPECT_TRUE(in2.at_end());
}

TEST(Packets, DecodesNestedExceptions) {
  wire::Buffer b;
  b.write_varint(2);
  b.write_fixed<std::int32_t>(60);
  b.write_string("DB::Exception");
  b.write_string("Table x doesn't exist");
  b.write_string("stack");
  b.write_u8(1);
  b.write_fixed<std::int32_t>(1000);
  b.write_string("Poco::Exception");
  b.write_string("inner");
  b.write_string("");
  b.write_u8(0);
  wire::MemoryInput in(b.view());
  const ServerMessage m = read_server_packet(in, 54412, false);
  ASSERT_EQ(m.exceptions.size(), 2u);
  EXPECT_EQ(describe_exceptions(m.exceptions),
            "Code: 60, DB::Exception: Table x doesn't exist; caused by: Code: 1000, Poco::Exception: inner");
}

TEST(Packets, PacketsTheRevisionRulesOutAreProtocolErrors) {
  for (const std::uint64_t code : {14u, 17u, 99u}) {
    wire::Buffer b;
    b.write_varint(code);
    wire::MemoryInput in(b.view());
    EXPECT_THROW(read_server_packet(in, 54412, false), ProtocolError) << code;
  }
}

TEST(Client, HandshakeNegotiatesTheLowerRevision) {
  std::string written;
  Client c(scripted({bytes(hello(54412))}, &written));
  EXPECT_EQ(c.server_info().revision, 54412u);
  EXPECT_EQ(c.server_info().negotiated_revision, 54412u);
  EXPECT_EQ(c.server_info().version_patch, 1u);
  EXPECT_EQ(c.server_info().timezone, "Etc/UTC");
  // Client Hello: code 0, name, 0.1, advertised revision 54459 (varint bb a9 03), db, user, password.
  EXPECT_EQ(written.substr(0, 12), std::string("\x00\x0aypa-engine", 12));
  EXPECT_NE(written.find(std::string("\xbb\xa9\x03", 3)), std::string::npos);
  // No addendum below 54458.
  EXPECT_EQ(written.size(), 1 + 11 + 1 + 1 + 3 + 8 + 8 + 1);
}

TEST(Client, NewerServerGetsTheAddendum) {
  std::string written;
  Client c(scripted({bytes(hello(54474))}, &written));
  EXPECT_EQ(c.server_info().negotiated_revision, revision::kAdvertised);
  EXPECT_EQ(written.size(), 1 + 11 + 1 + 1 + 3 + 8 + 8 + 1 + 1);
}

TEST(Client, SelectStreamsBlocksAndSkipsBookkeepingPackets) {
  for (const bool compressed : {true, false}) {
    wire::Buffer server;
    Block header;
    header.add<ColumnUInt64>("n");
    data_packet(server, header, 54412, compressed);  // header block, no rows
    server.write_varint(3);                          // Progress
    for (int v : {2, 16, 0}) server.write_varint(static_cast<std::uint64_t>(v));
    Block rows = header.clone_empty();
    rows.column(0).as<ColumnUInt64>().append(5);
    rows.column(0).as<ColumnUInt64>().append(6);
    data_packet(server, rows, 54412, compressed);
    server.write_varint(6);  // ProfileInfo
    for (int i = 0; i < 3; ++i) server.write_varint(1);
    server.write_u8(0);
    server.write_varint(0);
    server.write_u8(0);
    data_packet(server, Block{}, 54412, compressed);  // end-of-data marker block
    server.write_varint(5);                           // EndOfStream
    std::string written;
    Client c(scripted({bytes(hello(54412)), bytes(server)}, &written, compressed));
    const auto result = c.select_rows("SELECT n");
    ASSERT_EQ(result.size(), 2u);
    EXPECT_EQ(result[1][0], "6");
    EXPECT_EQ(c.last_progress().rows, 2u);
    EXPECT_NE(written.find("SELECT n"), std::string::npos);
  }
}

TEST(Client, InsertChecksTheSampleBlockAndFinishes) {
  wire::Buffer sample_packet;
  Block sample;
  sample.add<ColumnString>("run_id");
  sample.add("std", create_column("Nullable(Float64)"));
  data_packet(sample_packet, sample, 54412, true);
  wire::Buffer end;
  end.write_varint(5);  // EndOfStream, after our empty block
  std::string written;
  // Turns: Hello; the query gets the sample block; the data block gets nothing; the end gets EndOfStream.
  Client c(scripted({bytes(hello(54412)), bytes(sample_packet), "", bytes(end)}, &written));

  Inserter ins = c.begin_insert("t", {"run_id", "std"});
  EXPECT_NE(written.find("INSERT INTO t (`run_id`, `std`) VALUES"), std::string::npos);
  const std::size_t before = written.size();
  Block wrong;
  wrong.add<ColumnString>("run_id").append("r");
  wrong.add<ColumnFloat64>("std").append(1.0);
  EXPECT_THROW(ins.write(wrong), UsageError);
  EXPECT_EQ(written.size(), before);  // nothing sent

  Block right = ins.make_block();
  right.column(0).as<ColumnString>().append("r");
  right.column(1).as<ColumnNullable>().append<ColumnFloat64>(std::optional<double>{});
  ins.write(right);
  EXPECT_GT(written.size(), before);
  EXPECT_EQ(ins.finish(), 1u);
  EXPECT_TRUE(c.connected());
}

TEST(Client, SilentServerIsATimeoutNamingTheServer) {
  std::string written;
  Client c(scripted({bytes(hello(54412))}, &written));
  try {
    c.execute("SELECT 1");
    FAIL();
  } catch (const TimeoutError& e) {
    EXPECT_NE(std::string(e.what()).find("localhost:9000"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("packet code"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(c.connected());
}

}  // namespace
}  // namespace ypa::clickhouse

namespace ypa::clickhouse {
namespace {

TEST(ClientOptions, CompressionAutoIsOffOnlyForThisMachine) {
  ypa::ClickHouseSettings settings;
  for (const char* host : {"localhost", "127.0.0.1", "127.1.2.3", "::1"}) {
    settings.host = host;
    EXPECT_FALSE(ClientOptions::from_settings(settings).compression) << host;
  }
  for (const char* host : {"ch.example.com", "10.0.0.7", "127.example.net", "1270.0.0.1"}) {
    settings.host = host;
    EXPECT_TRUE(ClientOptions::from_settings(settings).compression) << host;
  }
  settings.host = "localhost";
  settings.compression = "on";
  EXPECT_TRUE(ClientOptions::from_settings(settings).compression);
  settings.host = "ch.example.com";
  settings.compression = "off";
  EXPECT_FALSE(ClientOptions::from_settings(settings).compression);
}

}  // namespace
}  // namespace ypa::clickhouse
