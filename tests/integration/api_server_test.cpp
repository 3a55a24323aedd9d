// `ypa serve`'s listening socket and connections, seen from the client's side of TCP: a listen backlog
// that takes a crowd of clients connecting at once, no second server on a port in use, and no small
// answer held back by Nagle's algorithm. Needs no database: /healthz answers without one.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <thread>
#include <vector>

#include "support/run_command.hpp"

namespace ypa::testing {
namespace {
using Clock = std::chrono::steady_clock;

constexpr int kApiPort = 18663;
// No database listens there: the server must start and answer /healthz without one.
const std::vector<std::string> kEnv{"CLICKHOUSE_HOST=127.0.0.1", "CLICKHOUSE_PORT=1", "PGHOST=127.0.0.1",
                                    "PGPORT=1", "DATABASE_URL="};

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = spawn_ypa({"serve", "--no-auth", "--listen", "127.0.0.1:" + std::to_string(kApiPort)}, kEnv);
    ASSERT_GT(server_, 0);
    httplib::Client client("127.0.0.1", kApiPort);
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      int status = 0;
      // Another server on the fixed port (another checkout's test run) would answer in its place.
      if (::waitpid(server_, &status, WNOHANG) == server_) {
        server_ = -1;
        FAIL() << "ypa serve exited: port " << kApiPort << " in use?";
      }
      if (auto res = client.Get("/healthz"); res && res->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "ypa serve did not start";
  }
  void TearDown() override {
    if (server_ <= 0) return;
    ::kill(server_, SIGCONT);
    ::kill(server_, SIGTERM);
    int status = 0;
    ::waitpid(server_, &status, 0);
  }
  int server_ = -1;
};

// The kernel completes a client's handshake at once only while the listening socket's accept queue has
// room; past the backlog it drops the SYN and the client sends it again a second later. With the server
// frozen (nothing accepted), the handshakes that complete within half a second are the queue's
// capacity. httplib's built-in backlog is 5. The kernel answers SYNs in microseconds whatever the load
// on the machine; the test counts at least once however late it runs, and a late count can only find
// more handshakes complete, never fewer.
TEST_F(ApiServerTest, ListenBacklogTakesAHundredClientsConnectingAtOnce) {
  constexpr int kClients = 100;
  ASSERT_EQ(::kill(server_, SIGSTOP), 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(kApiPort);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<pollfd> clients;
  for (int i = 0; i < kClients; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    ASSERT_TRUE(rc == 0 || errno == EINPROGRESS) << std::strerror(errno);
    clients.push_back(pollfd{fd, POLLOUT, 0});
  }
  int connected = 0;
  auto deadline = Clock::now() + std::chrono::milliseconds(500);
  do {
    connected = 0;
    ::poll(clients.data(), clients.size(), 50);
    for (auto& c : clients) {
      int error = 0;
      socklen_t size = sizeof error;
      ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &size);
      if ((c.revents & POLLOUT) && error == 0) ++connected;
    }
  } while (connected < kClients && Clock::now() < deadline);
  for (auto& c : clients) ::close(c.fd);
  ASSERT_EQ(::kill(server_, SIGCONT), 0);
  EXPECT_EQ(connected, kClients) << "handshakes completed while nothing was accepted";
}

// SO_REUSEPORT (httplib's default) would let a second server share the port and take half of the
// connections; it must exit instead, naming the address. Bounded: a second server that starts is
// stopped and reported.
TEST_F(ApiServerTest, SecondServerOnTheSamePortFails) {
  const std::string listen = "127.0.0.1:" + std::to_string(kApiPort);
  const std::string log = ::testing::TempDir() + "ypa-second-server.log";
  std::remove(log.c_str());
  int second = spawn_background({ypa_binary(), "serve", "--no-auth", "--listen", listen}, kEnv, log);
  ASSERT_GT(second, 0);
  int status = 0;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (::waitpid(second, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      ::kill(second, SIGKILL);
      ::waitpid(second, &status, 0);
      FAIL() << "a second server started on " << listen;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  std::ifstream in(log);
  std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(err.find("--listen: cannot listen on " + listen), std::string::npos) << err;
  httplib::Client client("127.0.0.1", kApiPort);
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << "the first server no longer answers";
}

// A server that stops closes its kept-alive connections first, which leaves their ends on its port in
// TIME_WAIT; SO_REUSEADDR lets a new server listen there at once (a socket without it or SO_REUSEPORT
// cannot bind the port for a minute).
TEST_F(ApiServerTest, RestartsOnItsPortRightAfterServingClients) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", kApiPort);
  client->set_keep_alive(true);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client->Get("/healthz"));
  TearDown();
  server_ = -1;
  client.reset();
  SetUp();
}

// httplib sends the headers and the body separately. With Nagle's algorithm on, the body waits for the
// client to acknowledge the headers, and a client that delays its ACK (Linux: at least 40 ms) makes
// every small answer on a kept-alive connection take that long, once the connection's first few
// segments (acknowledged at once) are past. Without it, one answer on loopback takes well under a
// millisecond. So the fastest of the later answers tells them apart: at least 40 ms for every one of
// them with Nagle on, which no load on the machine can make faster; under half that without, which
// needs only one of 60 answers not to be delayed by the load.
TEST_F(ApiServerTest, SmallAnswersOnAKeptAliveConnectionDoNotWaitForDelayedAcks) {
  httplib::Client client("127.0.0.1", kApiPort);
  client.set_keep_alive(true);
  std::vector<double> ms;
  for (int i = 0; i < 80; ++i) {
    auto start = Clock::now();
    auto res = client.Get("/healthz");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  EXPECT_LT(*std::min_element(ms.begin() + 20, ms.end()), 20.0) << "fastest of the later answers, in ms";
}

}  // namespace
}  // namespace ypa::testing
