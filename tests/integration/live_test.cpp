// Live mode (SPEC §9, design document §16): incremental runs on `live` equal a fresh backfill, new source
// rows reach `live` in the next cycle, `ypa schedule` runs on the device it was given (or refuses it at
// start) and rides out a ClickHouse outage and catches up. Every server and child process a test starts
// is stopped however the test ends (a failed ASSERT, an exception); waits are for conditions, with
// deadlines far beyond what a loaded machine needs.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "compute/backend_factory.hpp"
#include "support/databases.hpp"
#include "support/gpu.hpp"
#include "support/run_command.hpp"
#include "support/stack_env.hpp"

namespace ypa::testing {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A child process (ypa serve, ypa schedule) that is stopped whenever the guard goes out of scope, an
// ASSERT's early return and an exception included: SIGTERM, then SIGKILL if it has not exited within the
// grace period. Its pid is kept in `pid_file`, so that a run killed before any clean-up could run (a
// crash, ctest's timeout) has its leftover stopped by the next run (stop_leftover).
class ChildGuard {
 public:
  ChildGuard(pid_t pid, fs::path pid_file) : pid_(pid), pid_file_(std::move(pid_file)) {
    std::ofstream(pid_file_) << pid_;
  }
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard() { stop(); }

  // Stops the child (once) and returns its wait status.
  int stop(std::chrono::seconds grace = 60s) {
    if (!reaped_) {
      ::kill(pid_, SIGTERM);
      auto deadline = std::chrono::steady_clock::now() + grace;
      while (::waitpid(pid_, &status_, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, &status_, 0);
          break;
        }
        std::this_thread::sleep_for(100ms);
      }
      reaped_ = true;
      std::error_code ignored;
      fs::remove(pid_file_, ignored);
    }
    return status_;
  }

  // Kills the process a killed earlier run recorded in `pid_file`, if that pid is still a `ypa` whose
  // command line holds `what` (a recycled pid belongs to someone else and is left alone).
  static void stop_leftover(const fs::path& pid_file, const std::string& what) {
    std::string text = read_file(pid_file);
    if (text.empty()) return;
    pid_t pid = static_cast<pid_t>(std::stol(text));
    std::string command_line = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    std::replace(command_line.begin(), command_line.end(), '\0', ' ');
    if (command_line.find(ypa_binary()) != std::string::npos &&
        command_line.find(what) != std::string::npos) {
      ::kill(pid, SIGKILL);
    }
    std::error_code ignored;
    fs::remove(pid_file, ignored);
  }

 private:
  pid_t pid_;
  fs::path pid_file_;
  bool reaped_ = false;
  int status_ = 0;
};

// Joins a thread however the scope is left (a joinable std::thread destroyed would end the process).
struct JoinOnExit {
  std::thread& thread;
  ~JoinOnExit() {
    if (thread.joinable()) thread.join();
  }
};

// Where `--device auto` and the machine put a run: cuda:0 on a GPU machine with a CUDA build, else the
// CPU with the reason ypa gives. Whether a GPU is present is asked of the driver, not of ypa.
bool machine_has_usable_gpu() {
  return compute::cuda_built() && nvidia_gpu_count() > 0;
}
std::string auto_device_words() {
  if (machine_has_usable_gpu()) return "on device cuda:0,";
  return compute::cuda_built() ? "on device cpu (auto: no CUDA GPU on this machine),"
                               : "on device cpu (auto: this build has no CUDA backend),";
}

class LiveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new Databases("live");
    auto gen = db_->ypa({"datagen", "--shops", "6", "--iphones", "10", "--from", "2025-05-01", "--to",
                         "2025-05-13", "--seed", "5"});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    auto backfill =
        db_->ypa({"run_pipeline", "--run-id", "bf", "--from", "2025-05-11", "--to", "2025-05-13"});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    auto promote = db_->ypa({"promote_run", "--from", "bf", "--to", "live", "--confirm"});
    ASSERT_EQ(promote.exit_code, 0) << promote.out << promote.err;
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  static CommandResult incremental(const std::string& since) {
    return db_->ypa({"run_pipeline", "--run-id", "live", "--mode", "incremental", "--to", "2025-05-13T23:45",
                     "--since", since});
  }
  static Databases* db_;
};
Databases* LiveTest::db_ = nullptr;

TEST_F(LiveTest, IncrementalRunsLeaveLiveEqualToAFreshBackfill) {
  for (const char* since : {"2h", "5h"}) {
    auto r = incremental(since);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("continuing the run's own feature state"), std::string::npos) << r.err;
  }
  // The incremental rows replaced the promoted ones: the newest version covers the last 5 hours only.
  auto versions = clickhouse_client("SELECT uniqExact(inserted_at) FROM " + db_->name() +
                                    ".features_wide FINAL WHERE run_id = 'live'");
  // The promoted rows, and the second incremental write, which replaced the first one's 2 hours.
  EXPECT_EQ(versions.out, "2\n");
  auto compare = db_->ypa({"compare_runs", "--base", "live", "--target", "bf", "--tolerance", "1e-9"});
  EXPECT_EQ(compare.exit_code, 0) << compare.out << compare.err;
}

TEST_F(LiveTest, NewSourceRowsReachLiveInTheNextCycle) {
  // A late scrape for shop/iPhone of the first ids at 23:40 Tokyo, after the backfill was computed.
  auto insert = db_->psql(
      "INSERT INTO \"AppleStockChecker_purchasingshoppricerecord\" (id, shop_id, iphone_id, price_new, "
      "recorded_at) "
      "SELECT max(id) + 1, (SELECT min(id) FROM \"AppleStockChecker_secondhandshop\"), "
      "(SELECT min(id) FROM \"AppleStockChecker_iphone\"), 987654, '2025-05-13 23:40:00+09' "
      "FROM \"AppleStockChecker_purchasingshoppricerecord\"");
  ASSERT_EQ(insert.exit_code, 0) << insert.err;
  auto price = [&] {
    return clickhouse_client(
               "SELECT price_new FROM " + db_->name() +
               ".price_aligned FINAL WHERE run_id = 'live' AND bucket = toDateTime('2025-05-13 23:45:00', "
               "'Asia/Tokyo') AND shop_id = 1 AND iphone_id = 1")
        .out;
  };
  EXPECT_NE(price(), "987654\n");
  auto r = incremental("2h");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(price(), "987654\n");
  // live now differs from the backfill made before the row arrived.
  EXPECT_EQ(db_->ypa({"compare_runs", "--base", "bf", "--target", "live"}).exit_code, 1);
}

TEST_F(LiveTest, ApiNeverShowsTwoItemsForOneBucketDuringIncrementalRuns) {
  constexpr int kPort = 28731;
  const fs::path pid_file = fs::temp_directory_path() / "ypa-live-test-serve.pid";
  ChildGuard::stop_leftover(pid_file, "serve");
  ChildGuard server(
      spawn_background({ypa_binary(), "serve", "--no-auth", "--listen", "127.0.0.1:" + std::to_string(kPort)},
                       db_->env(), "/dev/null"),
      pid_file);
  httplib::Client client("127.0.0.1", kPort);
  client.set_read_timeout(30, 0);
  bool ready = false;
  for (auto deadline = std::chrono::steady_clock::now() + 120s;
       !ready && std::chrono::steady_clock::now() < deadline;) {
    auto r = client.Get("/healthz");
    ready = r && r->status == 200;
    if (!ready) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(ready) << "ypa serve did not come up within 120 s";

  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 0; i < 4; ++i) EXPECT_EQ(incremental("3h").exit_code, 0);
    writing = false;
  });
  JoinOnExit join{writer};
  int polls = 0, polls_while_writing = 0;
  while (writing || polls < 3) {
    polls_while_writing += writing ? 1 : 0;
    for (const char* path : {"/api/overall-bars/points/?run_id=live&bucket__gte=2025-05-13T20:00",
                             "/api/cohort-bars/points/?run_id=live&bucket__gte=2025-05-13T20:00"}) {
      auto r = client.Get(path);
      ASSERT_TRUE(r) << path;
      ASSERT_EQ(r->status, 200) << r->body;
      auto body = nlohmann::json::parse(r->body);
      const auto& buckets = body.at("bucket");
      const auto& scopes = body.contains("iphone") ? body.at("iphone") : body.at("cohort");
      std::set<std::string> seen;
      for (std::size_t k = 0; k < buckets.size(); ++k) {
        EXPECT_TRUE(seen.insert(scopes[k].dump() + "@" + buckets[k].get<std::string>()).second)
            << path << ": two items for " << scopes[k].dump() << " at " << buckets[k];
      }
      EXPECT_GT(seen.size(), 0u) << path;
    }
    ++polls;
  }
  // Not an assertion: how many reads overlapped the writes is up to the machine's load.
  std::printf("%d polls, %d of them while incremental runs were writing\n", polls, polls_while_writing);
}

TEST_F(LiveTest, BadInputIsRefused) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
    std::vector<std::string> env = {};
  };
  std::vector<Case> cases = {
      {{"run_pipeline", "--run-id", "live", "--mode", "incremental", "--from", "2025-05-13"},
       "--from is not used"},
      {{"run_pipeline", "--run-id", "live", "--mode", "incremental", "--since", "7m"}, "not a multiple"},
      {{"run_pipeline", "--run-id", "live", "--mode", "incremental", "--since", "soon"}, "--since='soon'"},
      {{"run_pipeline", "--run-id", "live", "--mode", "incremental", "--to", "2025-05-13"},
       "name one bucket"},
      {{"run_pipeline", "--run-id", "live", "--mode", "sometimes"}, "--mode 'sometimes'"},
      {{"schedule", "--every", "0s"}, "--every 0"},
      {{"schedule", "--delay", "3x"}, "--delay='3x'"},
      {{"schedule", "--run-id", "no-dashes"}, "--run-id"},
      // The device is settled before the loop starts (one line: the loop's start line never comes; with
      // --max-cycles a schedule that ignored the device would end instead of running on). No machine
      // has 64 GPUs, so cuda:63 is refused everywhere; cuda:0 has its own test.
      {{"schedule", "--max-cycles", "1", "--device", "gpu"}, "--device 'gpu': expected cpu, auto or cuda:N"},
      {{"schedule", "--max-cycles", "1", "--device", "cuda:63"}, "--device cuda:63: "},
      {{"schedule", "--max-cycles", "1"},
       "PIPELINE_DEVICE='gpu': expected cpu, auto or cuda:N",
       {"PIPELINE_DEVICE=gpu"}},
      {{"schedule", "--max-cycles", "1"}, "PIPELINE_DEVICE=cuda:63: ", {"PIPELINE_DEVICE=cuda:63"}},
      // The flag overrides the variable, and the error names the flag.
      {{"schedule", "--max-cycles", "1", "--device", "cuda:63"},
       "error: --device cuda:63: ",
       {"PIPELINE_DEVICE=gpu"}},
  };
  for (const auto& c : cases) {
    auto r = db_->ypa(c.args, c.env);
    EXPECT_EQ(r.exit_code, 2) << c.message << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

// `ypa schedule --device` / PIPELINE_DEVICE, as run_pipeline takes them. One cycle each into runs of
// their own (the source has nothing in the last 15 minutes: the cycle succeeds with nothing to write).
TEST_F(LiveTest, ScheduleRunsOnTheDeviceItIsGivenAndSaysSo) {
  auto once = [&](const std::string& run_id, std::vector<std::string> extra_args,
                  std::vector<std::string> env) {
    std::vector<std::string> args{"schedule", "--run-id", run_id,    "--max-cycles", "1",
                                  "--delay",  "0s",       "--since", "15m"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    return db_->ypa(args, env);
  };
  auto automatic = once("sched_auto", {}, {"PIPELINE_DEVICE=auto"});
  EXPECT_EQ(automatic.exit_code, 0) << automatic.err;
  EXPECT_NE(automatic.err.find("schedule: run sched_auto " + auto_device_words()), std::string::npos)
      << automatic.err;
  EXPECT_NE(automatic.err.find("schedule: stopped after 1 cycles"), std::string::npos) << automatic.err;

  auto cpu = once("sched_cpu", {"--device", "cpu"}, {"PIPELINE_DEVICE=gpu"});
  EXPECT_EQ(cpu.exit_code, 0) << cpu.err;
  EXPECT_NE(cpu.err.find("schedule: run sched_cpu on device cpu, every"), std::string::npos) << cpu.err;

  auto cuda = once("sched_cuda", {"--device", "cuda:0"}, {});
  if (machine_has_usable_gpu()) {
    EXPECT_EQ(cuda.exit_code, 0) << cuda.err;
    EXPECT_NE(cuda.err.find("schedule: run sched_cuda on device cuda:0, every"), std::string::npos)
        << cuda.err;
  } else {
    // Refused at start, before the loop: one line, exit 2, the same words as run_pipeline's.
    EXPECT_EQ(cuda.exit_code, 2) << cuda.err;
    EXPECT_EQ(cuda.err, std::string("ypa: error: --device cuda:0: ") +
                            (compute::cuda_built() ? "no CUDA GPU on this machine\n"
                                                   : "this build has no CUDA backend; use cpu\n"));
    auto pipeline =
        db_->ypa({"run_pipeline", "--run-id", "sched_cuda", "--mode", "incremental", "--device", "cuda:0"});
    EXPECT_EQ(pipeline.err, cuda.err);
  }
}

// --- ypa schedule against a private stack whose ClickHouse is stopped for a while --------------------

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// Polls `log` until `needle` occurs at least `times` times; the schedule's log is the readiness signal.
bool wait_for(const fs::path& log, const std::string& needle, std::size_t times, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (count_of(read_file(log), needle) >= times) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

std::string tokyo_minute(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds + 9 * 3600);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M", &tm);
  return buf;
}

std::string tokyo_day(std::int64_t unix_seconds) {
  return tokyo_minute(unix_seconds).substr(0, 10);
}

// A schedule that was away longer than --since (a stopped host, a long outage) still recomputes the
// --since before the newest bucket it had written, so a row that arrived late for one of those buckets
// while nothing ran reaches the run. The clock is YPA_SIM_CLOCK at normal speed, placed 3 hours after
// the run's newest bucket. Found by bench/soak.py (a cycle after a 2.5-hour outage started after the
// newest bucket and left live different from a backfill for good).
TEST_F(LiveTest, ScheduleBackAfterALongOutageTakesInRowsThatArrivedLateMeanwhile) {
  auto backfill = db_->ypa({"run_pipeline", "--run-id", "gap", "--from", "2025-05-11", "--to", "2025-05-12T12:00"});
  ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
  // Arrives after the run was computed, recorded at 11:50 Tokyo: bucket 12:00 of shop 2 / iPhone 2.
  auto insert = db_->psql(
      "INSERT INTO \"AppleStockChecker_purchasingshoppricerecord\" (id, shop_id, iphone_id, price_new, "
      "recorded_at) SELECT max(id) + 1, 2, 2, 876543, '2025-05-12 11:50:00+09' "
      "FROM \"AppleStockChecker_purchasingshoppricerecord\"");
  ASSERT_EQ(insert.exit_code, 0) << insert.err;
  auto price = [&](const std::string& run) {
    return clickhouse_client("SELECT price_new FROM " + db_->name() + ".price_aligned FINAL WHERE run_id = '" +
                             run + "' AND bucket = toDateTime('2025-05-12 12:00:00', 'Asia/Tokyo') AND shop_id = 2 "
                             "AND iphone_id = 2")
        .out;
  };
  ASSERT_NE(price("gap"), "876543\n");
  // Now is 15:03 Tokyo: the last closed bucket (3 minutes' delay) is 15:00, three hours on.
  const std::int64_t sim_now = 1747018800 + 3 * 3600 + 180;  // 2025-05-12T15:03:00+09:00
  ASSERT_EQ(tokyo_minute(sim_now), "2025-05-12T15:03");
  std::string clock = "YPA_SIM_CLOCK=" + std::to_string(std::time(nullptr)) + "," + std::to_string(sim_now) + ",1";
  auto cycle = db_->ypa({"schedule", "--run-id", "gap", "--max-cycles", "1", "--since", "2h", "--delay", "3m",
                         "--device", "cpu"},
                        {clock});
  ASSERT_EQ(cycle.exit_code, 0) << cycle.err;
  EXPECT_NE(cycle.err.find("cycle: buckets 2025-05-12T10:30:00+09:00 .. 2025-05-12T15:00:00+09:00 (19)"),
            std::string::npos)
      << cycle.err;
  EXPECT_EQ(price("gap"), "876543\n");
  auto fresh = db_->ypa({"run_pipeline", "--run-id", "gap_fresh", "--from", "2025-05-11", "--to", "2025-05-12T15:00"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_EQ(price("gap_fresh"), "876543\n");
  auto compare = db_->ypa({"compare_runs", "--base", "gap_fresh", "--target", "gap", "--tolerance", "1e-9"});
  EXPECT_EQ(compare.exit_code, 0) << compare.out << compare.err;
}

// `ypa stack` in a folder of this test, on its fixed ports, stopped however the test ends. The folder is
// fixed rather than per process so that the servers of a run killed before its clean-up could run (a
// crash, ctest's timeout) are stopped by the next run. After a failure the folder stays, for its logs.
class PrivateStack {
 public:
  explicit PrivateStack(fs::path dir) : dir_(std::move(dir)) {
    if (fs::exists(dir_)) run({"down"});
    fs::remove_all(dir_);
  }
  PrivateStack(const PrivateStack&) = delete;
  PrivateStack& operator=(const PrivateStack&) = delete;
  ~PrivateStack() {
    auto down = run({"down"});
    if (down.exit_code != 0) std::printf("ypa stack down --dir %s: %s", dir_.c_str(), down.err.c_str());
    if (::testing::Test::HasFailure()) {
      std::printf("the stack's folder and its logs are kept in %s\n", dir_.c_str());
    } else {
      fs::remove_all(dir_);
    }
  }
  CommandResult run(std::vector<std::string> args) const {
    args.insert(args.begin(), "stack");
    args.push_back("--dir");
    args.push_back(dir_.string());
    return run_ypa(args);
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

TEST(ScheduleTest, RidesOutAClickHouseOutageAndCatchesUp) {
  const fs::path pid_file = fs::temp_directory_path() / "ypa-live-test-schedule.pid";
  ChildGuard::stop_leftover(pid_file, "schedule");
  PrivateStack stack(fs::temp_directory_path() / "ypa-live-test-schedule");
  auto up = stack.run({"up", "--pg-port", "25462", "--ch-port", "29600"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  // One-minute buckets so that buckets close while the test runs; a 15-minute lookback keeps every
  // minute covered by the generator's quarter-hourly scrapes.
  std::vector<std::string> env{"PGHOST=127.0.0.1",
                               "PGPORT=25462",
                               "PGUSER=ypa",
                               "PGDATABASE=ypa",
                               "CLICKHOUSE_HOST=127.0.0.1",
                               "CLICKHOUSE_PORT=29600",
                               "CLICKHOUSE_DB=live_schedule",
                               "PIPELINE_INTERVAL_MIN=1",
                               "PIPELINE_LOOKBACK_MIN=15",
                               "FEATURE_WINDOWS_MIN=2,5,10",
                               "PIPELINE_DEVICE=auto"};
  ASSERT_EQ(run_ypa({"init", "--source-schema"}, env).exit_code, 0);
  ASSERT_EQ(run_ypa({"init"}, env).exit_code, 0);
  std::int64_t now = std::time(nullptr);
  auto gen = run_ypa({"datagen", "--shops", "3", "--iphones", "4", "--from", tokyo_day(now - 86400), "--to",
                      tokyo_day(now + 3600), "--seed", "9", "--replace"},
                     env);
  ASSERT_EQ(gen.exit_code, 0) << gen.err;

  fs::path log = stack.dir() / "schedule.log";
  ChildGuard schedule(
      spawn_background({ypa_binary(), "schedule", "--every", "15s", "--delay", "0s", "--since", "3m"}, env,
                       log.string()),
      pid_file);
  ASSERT_TRUE(wait_for(log, "cycle: buckets", 1, 300s)) << read_file(log);
  // Auto chose the device once, at start, and said which and why.
  EXPECT_NE(read_file(log).find("schedule: run live " + auto_device_words()), std::string::npos)
      << read_file(log);
  // Stop ClickHouse under the running schedule for (at least) two failed cycles.
  pid_t clickhouse = std::stoi(read_file(stack.dir() / "clickhouse/server.pid"));
  ::kill(clickhouse, SIGTERM);
  ASSERT_TRUE(wait_for(log, "cycle failed", 2, 300s)) << read_file(log);
  // Wait until at least one more bucket has closed while ClickHouse is down.
  std::int64_t down_since = std::time(nullptr);
  while (std::time(nullptr) < down_since + 61) std::this_thread::sleep_for(500ms);
  auto again = stack.run({"up"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  std::size_t cycles_before = count_of(read_file(log), "cycle: buckets");
  ASSERT_TRUE(wait_for(log, "cycle: buckets", cycles_before + 1, 300s)) << read_file(log);

  int status = schedule.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(log);
  EXPECT_NE(read_file(log).find("schedule: stopped"), std::string::npos) << read_file(log);

  // No missing bucket: live equals a fresh backfill over the minutes the schedule covered.
  auto range =
      run_command({"clickhouse-client", "--port", "29600", "--query",
                   "SELECT toUInt32(min(bucket)), toUInt32(max(bucket)) FROM live_schedule.features_wide "
                   "WHERE run_id = 'live' FORMAT TSV"});
  auto tab = range.out.find('\t');
  ASSERT_NE(tab, std::string::npos) << range.out;
  std::int64_t first = std::stoll(range.out.substr(0, tab));
  std::int64_t last = std::stoll(range.out.substr(tab + 1));
  // The first cycle wrote 3 buckets ending at the minute it ran in; the cycle after the outage ran
  // more than 61 s later, so it ended at least one minute further on.
  EXPECT_GE(last - first, 3 * 60) << "the schedule covered the outage";
  auto backfill = run_ypa(
      {"run_pipeline", "--run-id", "check", "--from", tokyo_minute(first), "--to", tokyo_minute(last)}, env);
  EXPECT_EQ(backfill.exit_code, 0) << backfill.err;
  auto compare = run_ypa({"compare_runs", "--base", "check", "--target", "live", "--tolerance", "1e-9"}, env);
  EXPECT_EQ(compare.exit_code, 0) << compare.out << compare.err;
}

}  // namespace
}  // namespace ypa::testing
