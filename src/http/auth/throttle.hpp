// Failed logins per client address: after `max_failures` within `window`, every login attempt from that
// address is answered 429 until the oldest of those failures leaves the window (a sliding window, so a
// steady guesser gets max_failures tries per window). Thread-safe; memory bounded by kMaxAddresses.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace ypa::http::auth {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxAddresses = 65536;

  LoginThrottle(int max_failures, std::chrono::seconds window);

  // Whole seconds (rounded up) until `address` may try again; 0 when it may try now.
  std::int64_t wait_seconds(const std::string& address, Clock::time_point now);
  void record_failure(const std::string& address, Clock::time_point now);

 private:
  void forget_old(std::deque<Clock::time_point>& failures, Clock::time_point now) const;

  const std::size_t max_failures_;
  const std::chrono::seconds window_;
  std::mutex mutex_;
  std::map<std::string, std::deque<Clock::time_point>, std::less<>> failures_;
};

}  // namespace ypa::http::auth
