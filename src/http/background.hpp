// One thread that runs posted tasks in order, for work no request should wait for (refreshing cached
// answers). Destroying it drops the tasks not yet started and waits for the one running.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace ypa::http {

class BackgroundWorker {
 public:
  BackgroundWorker();
  ~BackgroundWorker();
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // Queues `task`; it runs after the tasks posted before it. A task should report its own failures;
  // an exception that escapes it is logged (as an error) and the next task runs.
  void post(std::function<void()> task);
  // Returns once every task posted before the call has run (for tests).
  void drain();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> tasks_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace ypa::http
