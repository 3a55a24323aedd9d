// The background worker that refreshes cached answers: tasks run in order, and a task that throws is
// logged, not dropped in silence, and does not stop the tasks after it.
#include "http/background.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <stdexcept>
#include <vector>

namespace ypa::http {
namespace {

// Sends the default logger to a string for the test's lifetime.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return text_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream text_;
};

TEST(BackgroundWorkerTest, ATaskThatThrowsIsLoggedAndTheNextOneRuns) {
  CapturedLog log;
  std::vector<int> ran;
  {
    BackgroundWorker worker;
    worker.post([&] { ran.push_back(1); });
    worker.post([] { throw std::runtime_error("refresh of /api/features/ failed: disk on fire"); });
    worker.post([] { throw 42; });
    worker.post([&] { ran.push_back(2); });
    worker.drain();
  }
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_NE(log.text().find("refresh of /api/features/ failed: disk on fire"), std::string::npos)
      << log.text();
  EXPECT_NE(log.text().find("not a std::exception"), std::string::npos) << log.text();
}

}  // namespace
}  // namespace ypa::http
