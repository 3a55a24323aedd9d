// Failure paths of the native client against peers on loopback that refuse, stall, hang up mid-INSERT
// or talk nonsense: each must end in a clear error within the configured timeout, never a hang.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "clickhouse/client.hpp"
#include "clickhouse/compression.hpp"
#include "support/stack_env.hpp"

namespace ypa::clickhouse {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A one-connection server on 127.0.0.1 running `script` on the accepted socket in a thread. The
// script's reads and stalls end when the peer is destroyed.
class FakePeer {
 public:
  using Script = std::function<void(FakePeer&, int fd)>;

  explicit FakePeer(Script script) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 4) != 0) {
      throw std::runtime_error("fake peer: bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (::pipe(stop_) != 0) throw std::runtime_error("fake peer: pipe failed");
    thread_ = std::thread([this, script = std::move(script)] {
      if (!wait_readable(listen_fd_)) return;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      script(*this, fd);
      ::close(fd);
    });
  }
  FakePeer(const FakePeer&) = delete;
  FakePeer& operator=(const FakePeer&) = delete;
  ~FakePeer() {
    stop();
    thread_.join();
    ::close(listen_fd_);
    ::close(stop_[0]);
    ::close(stop_[1]);
  }

  std::uint16_t port() const { return port_; }
  void stop() {
    if (!stopped_.exchange(true)) (void)!::write(stop_[1], "x", 1);
  }
  // Waits until fd is readable; false once the peer is being stopped.
  bool wait_readable(int fd) {
    pollfd p[2] = {{fd, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    ::poll(p, 2, -1);
    return (p[1].revents & POLLIN) == 0;
  }
  // Reads whatever arrives (at least one byte); 0 at EOF or stop.
  std::size_t read_some(int fd) {
    if (!wait_readable(fd)) return 0;
    char buf[65536];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  // Blocks until the test ends.
  void stall() { wait_readable(stop_[0]); }
  static void send(int fd, const wire::Buffer& b) { (void)!::write(fd, b.bytes().data(), b.size()); }
  // The Hello an 18.16 server sends.
  static wire::Buffer server_hello() {
    wire::Buffer b;
    b.write_varint(0);
    b.write_string("ClickHouse");
    b.write_varint(18);
    b.write_varint(16);
    b.write_varint(54412);
    b.write_string("Etc/UTC");
    b.write_string("fake");
    b.write_varint(1);
    return b;
  }

 private:
  int listen_fd_ = -1;
  int stop_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  std::thread thread_;
};

ClientOptions fake_options(std::uint16_t port) {
  ClientOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.connect_timeout = milliseconds(1000);
  o.io_timeout = milliseconds(400);
  return o;
}

template <typename F>
double seconds_of(F&& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(ClickHouseFaults, ConnectionRefusedNamesTheServer) {
  // A port that was just free: bind, read the number, close without listening.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::uint16_t port = ntohs(addr.sin_port);
  ::close(fd);
  const double took = seconds_of([&] {
    try {
      Client c(fake_options(port));
      FAIL() << "connected to a closed port";
    } catch (const ConnectError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
      EXPECT_NE(what.find("refused"), std::string::npos) << what;
    }
  });
  EXPECT_LT(took, 1.0);
}

TEST(ClickHouseFaults, UnresolvableHostIsAConnectError) {
  ClientOptions o = fake_options(9000);
  o.host = "no-such-host.invalid";
  EXPECT_THROW(Client c(o), ConnectError);
}

TEST(ClickHouseFaults, ServerThatNeverAnswersTheHandshakeTimesOut) {
  FakePeer peer([](FakePeer& p, int) { p.stall(); });
  const double took = seconds_of([&] {
    try {
      Client c(fake_options(peer.port()));
      FAIL() << "handshake without an answer succeeded";
    } catch (const TimeoutError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("127.0.0.1:" + std::to_string(peer.port())), std::string::npos) << what;
      EXPECT_NE(what.find("Hello"), std::string::npos) << what;
    }
  });
  EXPECT_GE(took, 0.35);
  EXPECT_LT(took, 3.0);
}

TEST(ClickHouseFaults, ServerThatStopsRespondingMidQueryTimesOut) {
  FakePeer peer([](FakePeer& p, int fd) {
    p.read_some(fd);  // client Hello
    FakePeer::send(fd, FakePeer::server_hello());
    p.stall();  // reads nothing more, answers nothing
  });
  Client c(fake_options(peer.port()));
  EXPECT_EQ(c.server_info().negotiated_revision, 54412u);
  const double took = seconds_of([&] {
    try {
      c.select("SELECT 1", [](const Block&) {});
      FAIL() << "query without an answer succeeded";
    } catch (const TimeoutError& e) {
      EXPECT_NE(std::string(e.what()).find("packet code"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("SELECT 1"), std::string::npos) << e.what();
    }
  });
  EXPECT_LT(took, 3.0);
  EXPECT_FALSE(c.connected());
}

TEST(ClickHouseFaults, ServerKilledMidInsertEndsInAnError) {
  FakePeer peer([](FakePeer& p, int fd) {
    p.read_some(fd);
    FakePeer::send(fd, FakePeer::server_hello());
    p.read_some(fd);  // the INSERT query (and the external-tables block)
    Block sample;
    sample.add<ColumnUInt64>("id");
    sample.add<ColumnString>("s");
    wire::Buffer packet;
    wire::Buffer scratch;
    packet.write_varint(static_cast<std::uint64_t>(ServerPacket::kData));
    packet.write_string("");
    scratch.clear();
    write_block(sample, scratch, 54412);
    compress_lz4(scratch.bytes(), packet);
    FakePeer::send(fd, packet);
    p.read_some(fd);  // some data arrives... and the "server" dies
    ::shutdown(fd, SHUT_RDWR);
  });
  Client c(fake_options(peer.port()));
  Inserter ins = c.begin_insert("t", {"id", "s"});
  Block b = ins.make_block();
  for (std::uint64_t i = 0; i < 200000; ++i) {
    b.column(0).as<ColumnUInt64>().append(i);
    b.column(1).as<ColumnString>().append("some text to make the block bigger");
  }
  const double took = seconds_of([&] {
    try {
      for (int i = 0; i < 200; ++i) ins.write(b);
      ins.finish();
      FAIL() << "INSERT into a dead server succeeded";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(peer.port())), std::string::npos)
          << e.what();
    }
  });
  EXPECT_LT(took, 3.0);
  EXPECT_FALSE(c.connected());
  peer.stop();
}

TEST(ClickHouseFaults, GarbagePacketIsAProtocolError) {
  FakePeer peer([](FakePeer& p, int fd) {
    p.read_some(fd);
    FakePeer::send(fd, FakePeer::server_hello());
    p.read_some(fd);
    wire::Buffer junk;
    junk.write_varint(99);
    FakePeer::send(fd, junk);
    p.stall();
  });
  Client c(fake_options(peer.port()));
  try {
    c.execute("SELECT 1");
    FAIL() << "garbage accepted";
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("packet code 99"), std::string::npos) << e.what();
  }
}

TEST(ClickHouseFaults, AFailedConnectionCanBeReopened) {
  ClientOptions o = ClientOptions::from_settings(ypa::testing::clickhouse_settings());
  o.database = "default";
  Client c(o);
  const std::string db = ypa::testing::unique_name("ch_faults");
  c.execute("CREATE DATABASE " + db);
  c.execute("CREATE TABLE " + db + ".t (x UInt8) ENGINE = Memory");
  {
    Inserter ins = c.begin_insert(db + ".t");
    EXPECT_THROW(c.execute("SELECT 1"), UsageError);  // one operation at a time
  }                                                   // abandoned: drops the connection
  EXPECT_FALSE(c.connected());
  EXPECT_EQ(c.select_value("SELECT 5"), "5");
  c.reconnect();
  c.ping();
  c.execute("DROP DATABASE " + db);
}

}  // namespace
}  // namespace ypa::clickhouse
