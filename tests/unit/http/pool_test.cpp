// The API's ClickHouse connection pool against in-memory servers: idle connections are reused, the
// pool never opens more than its size and a borrower waits at most `wait`, a failed connect or a dead
// reused connection is counted and replaced, and the busy count always returns to zero.
#include "http/pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <thread>

#include "wire/buffer.hpp"
#include "wire/errors.hpp"

namespace ypa::http {
namespace {

using namespace std::chrono_literals;

std::string hello() {
  wire::Buffer b;
  b.write_varint(0);  // Hello
  b.write_string("ClickHouse");
  for (std::uint64_t v : {18, 16, 54412}) b.write_varint(v);
  b.write_string("Etc/UTC");
  b.write_string("box");
  b.write_varint(1);
  return std::string(b.view());
}

std::string pong() { return std::string(1, '\x04'); }

// One connection to an in-memory server: Hello after the client's Hello, then one Pong for each later
// write, or nothing at all when it has "died" (reads then time out, as from a server that went away).
class FakeServer final : public wire::Transport {
 public:
  explicit FakeServer(std::shared_ptr<std::atomic<bool>> dead) : dead_(std::move(dead)) {}
  std::size_t read_some(std::span<std::byte> dst) override {
    if (pos_ == available_.size()) throw wire::TimeoutError("fake server: no answer");
    const std::size_t n = std::min(dst.size(), available_.size() - pos_);
    std::memcpy(dst.data(), available_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  void write_all(std::span<const std::byte>) override {
    if (writes_++ == 0) {
      available_ += hello();
    } else if (!*dead_) {
      available_ += pong();
    }
  }
  bool readable_now() override { return pos_ < available_.size(); }
  const wire::Endpoint& endpoint() const override { return endpoint_; }

 private:
  std::shared_ptr<std::atomic<bool>> dead_;
  std::string available_;
  std::size_t pos_ = 0;
  std::size_t writes_ = 0;
  wire::Endpoint endpoint_{"fake", 9000};
};

// The servers a pool connects to: each connect makes a FakeServer sharing the `dead` switch of the
// connection it opens; `refuse` makes connects fail as to a server that is down.
struct FakeCluster {
  std::atomic<int> connects{0};
  std::atomic<bool> refuse{false};
  std::vector<std::shared_ptr<std::atomic<bool>>> dead;
  std::mutex mutex;

  clickhouse::ClientOptions options() {
    clickhouse::ClientOptions o;
    o.compression = false;
    o.transport_factory = [this](const wire::Endpoint&, const wire::Timeouts&) -> std::unique_ptr<wire::Transport> {
      if (refuse) throw wire::ConnectError("fake: connection refused");
      ++connects;
      std::lock_guard lock(mutex);
      dead.push_back(std::make_shared<std::atomic<bool>>(false));
      return std::make_unique<FakeServer>(dead.back());
    };
    return o;
  }
};

TEST(ClickHousePoolTest, ReusesAnIdleConnection) {
  FakeCluster servers;
  ClickHousePool pool(servers.options(), PoolOptions{4, 1000ms, 10000ms});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(pool.ping());
  EXPECT_EQ(servers.connects.load(), 1);
  auto stats = pool.stats();
  EXPECT_EQ(stats.open, 1u);
  EXPECT_EQ(stats.busy, 0u);
}

TEST(ClickHousePoolTest, OpensAtMostItsSizeAndABorrowerWaitsAtMostTheWait) {
  FakeCluster servers;
  ClickHousePool pool(servers.options(), PoolOptions{2, 150ms, 10000ms});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> holding{0};
  auto hold = [&] {
    pool.run([&](clickhouse::Client&) {
      ++holding;
      released.wait();
    });
  };
  std::thread a(hold), b(hold);
  while (holding < 2) std::this_thread::yield();

  auto start = std::chrono::steady_clock::now();
  try {
    pool.run([](clickhouse::Client&) { ADD_FAILURE() << "ran without a free connection"; });
    ADD_FAILURE() << "expected UnavailableError";
  } catch (const UnavailableError& e) {
    EXPECT_NE(std::string(e.what()).find("all 2 ClickHouse connections are busy"), std::string::npos) << e.what();
  }
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 2000ms);
  EXPECT_EQ(pool.stats().busy, 2u);

  // A waiter gets the first connection given back.
  auto waiter = std::async(std::launch::async, [&] { return pool.ping(); });
  release.set_value();
  a.join();
  b.join();
  EXPECT_TRUE(waiter.get());
  EXPECT_EQ(servers.connects.load(), 2);
  EXPECT_EQ(pool.stats().busy, 0u);
}

TEST(ClickHousePoolTest, ServerDownIsUnavailableAndCountedAndRecovers) {
  FakeCluster servers;
  servers.refuse = true;
  ClickHousePool pool(servers.options(), PoolOptions{4, 1000ms, 10000ms});
  EXPECT_THROW(pool.run([](clickhouse::Client&) {}), UnavailableError);
  EXPECT_FALSE(pool.ping());
  auto stats = pool.stats();
  EXPECT_EQ(stats.connect_failures, 2u);
  EXPECT_EQ(stats.busy, 0u);
  EXPECT_EQ(stats.open, 0u);

  servers.refuse = false;  // back up: the next request connects
  EXPECT_TRUE(pool.ping());
  EXPECT_EQ(pool.stats().open, 1u);
}

TEST(ClickHousePoolTest, ADeadReusedConnectionIsReplacedOnce) {
  FakeCluster servers;
  ClickHousePool pool(servers.options(), PoolOptions{4, 1000ms, 10000ms});
  ASSERT_TRUE(pool.ping());
  *servers.dead.at(0) = true;  // the server restarted while the connection sat idle
  int runs = 0;
  pool.run([&](clickhouse::Client& c) {
    ++runs;
    c.ping();
  });
  EXPECT_EQ(runs, 2);  // once on the dead connection, once on a fresh one
  EXPECT_EQ(servers.connects.load(), 2);
  auto stats = pool.stats();
  EXPECT_EQ(stats.discarded, 1u);
  EXPECT_EQ(stats.open, 1u);
  EXPECT_EQ(stats.busy, 0u);

  // A fresh connection that fails is not retried: the failure goes to the caller.
  *servers.dead.at(1) = true;
  ASSERT_TRUE(pool.ping());  // reused connection 1 is dead: replaced by connection 2 within this call
  *servers.dead.at(2) = true;
  servers.refuse = true;
  EXPECT_THROW(pool.run([](clickhouse::Client& c) { c.ping(); }), UnavailableError);
  EXPECT_EQ(pool.stats().busy, 0u);
}

TEST(ClickHousePoolTest, AnIdleConnectionPastTheIdleCheckIsPingedFirst) {
  FakeCluster servers;
  ClickHousePool pool(servers.options(), PoolOptions{4, 1000ms, 1ms});
  ASSERT_TRUE(pool.ping());
  std::this_thread::sleep_for(5ms);  // older than idle_check
  *servers.dead.at(0) = true;
  int runs = 0;
  pool.run([&](clickhouse::Client&) { ++runs; });
  EXPECT_EQ(runs, 1);  // the dead connection was found by the ping, before the work
  EXPECT_EQ(servers.connects.load(), 2);
  EXPECT_EQ(pool.stats().discarded, 1u);
}

}  // namespace
}  // namespace ypa::http
