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
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
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

// ---- Exposure to clients: Host validation, connection limits, request size limits ----

// A client's side of one TCP connection, for requests written as raw bytes.
class RawClient {
 public:
  explicit RawClient(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }

  // False once the server has closed the connection.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  bool readable_now() {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  // One answer (status line, headers, a Content-Length body), or "" when the connection ended or no
  // whole answer came before `deadline`.
  std::string read_answer(Clock::time_point deadline) {
    for (;;) {
      auto head_end = buffer_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::size_t length = 0;
        auto at = buffer_.find("Content-Length: ");
        if (at != std::string::npos && at < head_end) length = std::stoul(buffer_.substr(at + 16));
        if (buffer_.size() >= head_end + 4 + length) {
          std::string answer = buffer_.substr(0, head_end + 4 + length);
          buffer_.erase(0, answer.size());
          return answer;
        }
      }
      if (!fill(deadline)) return "";
    }
  }

  // Whether the server ends the connection before `deadline` (what it sends meanwhile is kept).
  bool closed_by_server(Clock::time_point deadline) {
    while (fill(deadline)) {
    }
    return eof_;
  }

 private:
  bool fill(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd_, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

std::string status_line(const std::string& answer) {
  return answer.substr(0, answer.find("\r\n"));
}
std::string body_of(const std::string& answer) {
  auto at = answer.find("\r\n\r\n");
  return at == std::string::npos ? "" : answer.substr(at + 4);
}
std::string get(const std::string& target, const std::string& headers) {
  return "GET " + target + " HTTP/1.1\r\n" + headers + "\r\n";
}

// A server of its own for each test, started with extra settings (environment) on a free port: the
// tests below hold many connections and must talk to this server only, whatever else runs here.
class ServeWithSettingsTest : public ::testing::Test {
 protected:
  void start(const std::vector<std::string>& extra_env) {
    port_ = free_port();
    ASSERT_GT(port_, 0);
    auto env = kEnv;
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    server_ = spawn_ypa({"serve", "--no-auth", "--listen", "127.0.0.1:" + std::to_string(port_)}, env);
    ASSERT_GT(server_, 0);
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(server_, &status, WNOHANG) == server_) {
        server_ = -1;
        FAIL() << "ypa serve exited (status " << status << ")";
      }
      RawClient probe(port_);
      // Any answer will do: the Host it sends may not be allowed.
      if (probe.send(get("/healthz", host())) &&
          !probe.read_answer(Clock::now() + std::chrono::seconds(1)).empty()) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "ypa serve did not start";
  }
  void TearDown() override {
    if (server_ <= 0) return;
    ::kill(server_, SIGTERM);
    int status = 0;
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (::waitpid(server_, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        ::kill(server_, SIGKILL);
        ::waitpid(server_, &status, 0);
        ADD_FAILURE() << "ypa serve did not stop within 30 s of SIGTERM";
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
      port = ntohs(address.sin_port);
    }
    ::close(fd);
    return port;
  }
  // The Host header of a client that names the server by its address.
  std::string host() const { return "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n"; }

  int port_ = -1;
  int server_ = -1;
};

// The Host header ends up in pagination links and the response cache's key: a name that is not the
// server's is refused with 400 before either sees it, as Django refuses it (DisallowedHost). By default,
// on a loopback address: localhost (and its subdomains), 127.0.0.1, [::1], any port.
TEST_F(ServeWithSettingsTest, AHostThatIsNotAllowedGets400) {
  start({});
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  const std::vector<std::string> ours{"127.0.0.1:" + std::to_string(port_),
                                      "localhost:8000",
                                      "LOCALHOST",
                                      "app.localhost",
                                      "[::1]:80",
                                      "127.0.0.1."};
  for (const auto& host : ours) {
    RawClient client(port_);
    ASSERT_TRUE(client.send(get("/healthz", "Host: " + host + "\r\n")));
    EXPECT_EQ(status_line(client.read_answer(deadline)), "HTTP/1.1 200 OK") << host;
  }
  const std::vector<std::string> others{"evil.example.com",
                                        "127.0.0.1.evil.example.com",
                                        "localhost.evil.example.com",
                                        "127.0.0.2",
                                        "a b",
                                        "127.0.0.1:x",
                                        "[::1",
                                        "0.0.0.0:" + std::to_string(port_)};
  for (const auto& host : others) {
    RawClient client(port_);
    ASSERT_TRUE(client.send(get("/api/runs/?limit=1", "Host: " + host + "\r\n")));
    auto answer = client.read_answer(deadline);
    EXPECT_EQ(status_line(answer), "HTTP/1.1 400 Bad Request") << host;
    EXPECT_NE(answer.find("Content-Type: application/json\r\n"), std::string::npos) << answer;
    EXPECT_EQ(body_of(answer), R"js({"error":"Bad Request (400)"})js") << host;
  }
  // Two Host headers (RFC 9112 §3.2: 400), the second one not ours.
  RawClient twice(port_);
  ASSERT_TRUE(twice.send(get("/healthz", host() + "Host: evil.example.com\r\n")));
  EXPECT_EQ(status_line(twice.read_answer(deadline)), "HTTP/1.1 400 Bad Request");
  // HTTP/1.0 without a Host: it reached the listen address.
  RawClient old(port_);
  ASSERT_TRUE(old.send("GET /healthz HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(status_line(old.read_answer(deadline)), "HTTP/1.1 200 OK");
}

// API_ALLOWED_HOSTS is read as Django reads ALLOWED_HOSTS: Django itself (django.http.request's
// split_domain_port and validate_host, what HttpRequest.get_host() uses) decides each Host below, and
// the server must answer 400 exactly where Django refuses. (httplib percent-decodes header values before
// the server sees them, so Host values with % are left out: `example%2ecom` is taken as example.com.)
TEST_F(ServeWithSettingsTest, AllowedHostsAgreeWithDjango) {
  const std::string allowed = "example.com,.example.org,10.0.0.5,[::1],[2001:db8::7],localhost";
  start({"API_ALLOWED_HOSTS=" + allowed});
  const std::vector<std::string> hosts{"example.com",
                                       "EXAMPLE.COM",
                                       "example.com:8000",
                                       "example.com.",
                                       "example.com..",
                                       "www.example.com",
                                       "example.com.evil.net",
                                       "evilexample.com",
                                       "example.org",
                                       "api.example.org",
                                       "a.b.example.org:1",
                                       "example.org.",
                                       "badexample.org",
                                       "org",
                                       "10.0.0.5",
                                       "10.0.0.5:80",
                                       "10.0.0.50",
                                       "010.0.0.5",
                                       "[::1]",
                                       "[::1]:8000",
                                       "[0:0:0:0:0:0:0:1]",
                                       "::1",
                                       "[2001:DB8::7]",
                                       "[2001:db8::7]:443",
                                       "localhost",
                                       "localhost:1",
                                       "app.localhost",
                                       "127.0.0.1",
                                       "example.com:",
                                       "example.com:80:80",
                                       "example.com:x",
                                       "exa_mple.com",
                                       "example.com/path",
                                       "user@example.com",
                                       "[::1",
                                       "[]",
                                       "[g::1]",
                                       ".",
                                       "-",
                                       "*",
                                       "example.com;x",
                                       "\xc3\xa9xample.com"};
  std::vector<std::string> argv{"/usr/bin/python3", "-c",
                                "import sys\n"
                                "from django.conf import settings\n"
                                "settings.configure()\n"
                                "from django.http.request import split_domain_port, validate_host\n"
                                "allowed = sys.argv[1].split(',')\n"
                                "for h in sys.argv[2:]:\n"
                                "    h = h.encode('utf-8', 'surrogateescape').decode('latin-1')\n"
                                "    d, p = split_domain_port(h)\n"
                                "    print(1 if d and validate_host(d, allowed) else 0)\n",
                                allowed};
  argv.insert(argv.end(), hosts.begin(), hosts.end());
  auto django = run_command(argv);
  ASSERT_EQ(django.exit_code, 0) << django.err;
  std::vector<std::string> verdicts;
  for (std::size_t at = 0; at < django.out.size(); at += 2) verdicts.push_back(django.out.substr(at, 1));
  ASSERT_EQ(verdicts.size(), hosts.size()) << django.out;
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  int allowed_count = 0;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    RawClient client(port_);
    ASSERT_TRUE(client.send(get("/healthz", "Host: " + hosts[i] + "\r\n")));
    auto status = status_line(client.read_answer(deadline));
    EXPECT_EQ(status, verdicts[i] == "1" ? "HTTP/1.1 200 OK" : "HTTP/1.1 400 Bad Request") << hosts[i];
    allowed_count += verdicts[i] == "1";
  }
  EXPECT_GT(allowed_count, 10);  // the list is not all refusals
}

// Every connection holds one of API_THREADS threads while it is open. Idle clients (connected, sending
// nothing) give way at once when others wait for a thread, and slow ones (a header byte at a time)
// get 408 once API_READ_TIMEOUT_S has passed since their first byte; a new client is then answered.
// httplib alone gave no deadline to a request that keeps sending a byte within each read timeout.
TEST_F(ServeWithSettingsTest, IdleAndSlowClientsDoNotHoldEveryThread) {
  constexpr int kThreads = 4;
  start({"API_THREADS=" + std::to_string(kThreads), "API_KEEP_ALIVE_S=2", "API_READ_TIMEOUT_S=2"});
  std::vector<std::unique_ptr<RawClient>> idle, slow;
  for (int i = 0; i < kThreads; ++i) {
    idle.push_back(std::make_unique<RawClient>(port_));
    ASSERT_TRUE(idle.back()->connected());
  }
  for (int i = 0; i < kThreads; ++i) {
    slow.push_back(std::make_unique<RawClient>(port_));
    ASSERT_TRUE(slow.back()->send("GET /healthz HTTP/1.1\r\n" + host() + "X-Slow: "));
  }
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    while (!done) {
      for (auto& c : slow) {
        if (!c->readable_now()) c->send("a");  // once answered, it stops sending (and reads the answer)
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  });
  RawClient fresh(port_);
  ASSERT_TRUE(fresh.send(get("/healthz", host())));
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  auto answer = fresh.read_answer(deadline);
  done = true;
  trickle.join();
  EXPECT_EQ(status_line(answer), "HTTP/1.1 200 OK")
      << "a new client waited 30 s behind idle and slow clients";
  for (auto& c : slow) {
    auto refused = c->read_answer(deadline);
    EXPECT_EQ(status_line(refused), "HTTP/1.1 408 Request Timeout");
    EXPECT_EQ(body_of(refused), R"js({"error":"Request Timeout (408)"})js");
  }
  for (auto& c : idle) EXPECT_TRUE(c->closed_by_server(deadline));
}

// A kept-alive connection answers API_KEEP_ALIVE_MAX requests (100 by default), the last with
// `Connection: close`, and is then closed: one client cannot keep a thread forever, and clients that
// wait for a thread get their turn within 100 requests of each busy connection.
TEST_F(ServeWithSettingsTest, AConnectionIsClosedAfterTheMostRequests) {
  start({});
  constexpr int kMaxRequests = 100;
  RawClient client(port_);
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  for (int i = 1; i <= kMaxRequests; ++i) {
    ASSERT_TRUE(client.send(get("/healthz", host()))) << "request " << i;
    auto answer = client.read_answer(deadline);
    ASSERT_EQ(status_line(answer), "HTTP/1.1 200 OK") << "request " << i;
    const bool says_close = answer.find("Connection: close\r\n") != std::string::npos;
    ASSERT_EQ(says_close, i == kMaxRequests) << "request " << i << ":\n" << answer;
  }
  EXPECT_TRUE(client.closed_by_server(deadline));
}

// Request line and header sizes have explicit limits: a request line over 8 KiB gets 414, a header
// line over 8 KiB or headers over 32 KiB in all get 431, each at once (without waiting for the rest of
// an endless line) and then the connection is closed. httplib alone read an endless request line
// until its read timeout and answered nothing, answered 400 to a long header line, and took any
// number of headers.
TEST_F(ServeWithSettingsTest, LongRequestLinesAndHeadersAreRefused) {
  start({});
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  {
    RawClient client(port_);
    ASSERT_TRUE(client.send("GET /" + std::string(20000, 'a')));  // and no end of line
    auto answer = client.read_answer(deadline);
    EXPECT_EQ(status_line(answer), "HTTP/1.1 414 URI Too Long");
    EXPECT_NE(answer.find("Content-Type: application/json\r\n"), std::string::npos) << answer;
    EXPECT_EQ(body_of(answer), R"js({"error":"URI Too Long (414)"})js");
    EXPECT_TRUE(client.closed_by_server(deadline));
  }
  {
    RawClient client(port_);  // a request line of 8,000 bytes is fine
    ASSERT_TRUE(client.send(get("/healthz?" + std::string(7970, 'a'), host())));
    EXPECT_EQ(status_line(client.read_answer(deadline)), "HTTP/1.1 200 OK");
  }
  {
    RawClient client(port_);
    ASSERT_TRUE(client.send(get("/healthz", host() + "X-Long: " + std::string(9000, 'a') + "\r\n")));
    auto answer = client.read_answer(deadline);
    EXPECT_EQ(status_line(answer), "HTTP/1.1 431 Request Header Fields Too Large");
    EXPECT_EQ(body_of(answer), R"js({"error":"Request Header Fields Too Large (431)"})js");
    EXPECT_TRUE(client.closed_by_server(deadline));
  }
  std::string many;
  for (int i = 0; i < 5; ++i) many += "X-Part-" + std::to_string(i) + ": " + std::string(7000, 'a') + "\r\n";
  {
    RawClient client(port_);  // 35 KB of headers
    ASSERT_TRUE(client.send(get("/healthz", host() + many)));
    EXPECT_EQ(status_line(client.read_answer(deadline)), "HTTP/1.1 431 Request Header Fields Too Large");
  }
  {
    RawClient client(port_);  // 28 KB of headers is fine
    ASSERT_TRUE(client.send(get("/healthz", host() + many.substr(0, 4 * many.size() / 5))));
    EXPECT_EQ(status_line(client.read_answer(deadline)), "HTTP/1.1 200 OK");
  }
}

// Requests sent back to back on one connection (HTTP/1.1 pipelining) are each answered, in order: the
// bytes of the next request read along with the previous one are kept for it.
TEST_F(ServeWithSettingsTest, PipelinedRequestsAreEachAnswered) {
  start({});
  RawClient client(port_);
  ASSERT_TRUE(client.send(get("/healthz", host()) + get("/nothing-here", host()) + get("/healthz", host())));
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  EXPECT_EQ(status_line(client.read_answer(deadline)), "HTTP/1.1 200 OK");
  EXPECT_EQ(status_line(client.read_answer(deadline)), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(status_line(client.read_answer(deadline)), "HTTP/1.1 200 OK");
}

}  // namespace
}  // namespace ypa::testing
