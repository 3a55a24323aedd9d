// `ypa stack up --cluster` starts ClickHouse only once ZooKeeper serves requests, not as soon as its port
// accepts connections: a ZooKeeper still loading its database accepts and answers "not currently serving
// requests". Scripted listeners stand in for the two states.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "stack/cluster.hpp"

namespace ypa::stack {
namespace {

// Listens on a free loopback port, accepts one connection, checks that it asks `srvr` and answers `reply`.
class ScriptedZooKeeper {
 public:
  explicit ScriptedZooKeeper(std::string reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 1), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char command[4];
      std::size_t got = 0;
      ssize_t n = 0;
      while (got < sizeof command && (n = ::recv(c, command + got, sizeof command - got, 0)) > 0) got += n;
      asked_ = std::string(command, got);
      ::send(c, reply_.data(), reply_.size(), 0);
      ::close(c);
    });
  }
  ~ScriptedZooKeeper() {
    finish();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  const std::string& asked() const { return asked_; }  // read after the join: call finish() first
  void finish() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::string reply_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string asked_;
  std::thread thread_{};
};

Layout layout_on(std::uint16_t port) {
  Layout layout;
  layout.dir = "/nonexistent";
  layout.zk_port = port;
  return layout;
}

TEST(ZooKeeperReadyTest, AcceptingConnectionsIsNotServing) {
  ScriptedZooKeeper zk("This ZooKeeper instance is not currently serving requests\n");
  EXPECT_FALSE(ZooKeeperServer(layout_on(zk.port()), std::nullopt).serves_requests());
  zk.finish();
  EXPECT_EQ(zk.asked(), "srvr");
}

TEST(ZooKeeperReadyTest, AnsweringWithItsModeIsServing) {
  ScriptedZooKeeper zk(
      "Zookeeper version: 3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f, built on 2022-02-25 08:49 UTC\n"
      "Latency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\n"
      "Zxid: 0x0\nMode: standalone\nNode count: 5\n");
  EXPECT_TRUE(ZooKeeperServer(layout_on(zk.port()), std::nullopt).serves_requests());
  zk.finish();
  EXPECT_EQ(zk.asked(), "srvr");
}

TEST(ZooKeeperReadyTest, NothingListeningIsNotServing) {
  std::uint16_t port;
  {
    ScriptedZooKeeper closed("");
    port = closed.port();
    // Connect once so that its thread ends; the port is free again afterwards.
    ZooKeeperServer(layout_on(port), std::nullopt).serves_requests();
  }
  EXPECT_FALSE(ZooKeeperServer(layout_on(port), std::nullopt).serves_requests());
}

}  // namespace
}  // namespace ypa::stack
