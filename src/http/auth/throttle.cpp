#include "http/auth/throttle.hpp"

#include <algorithm>
#include <iterator>

namespace ypa::http::auth {

LoginThrottle::LoginThrottle(int max_failures, std::chrono::seconds window)
    : max_failures_(static_cast<std::size_t>(max_failures)), window_(window) {}

void LoginThrottle::forget_old(std::deque<Clock::time_point>& failures, Clock::time_point now) const {
  while (!failures.empty() && failures.front() + window_ <= now) failures.pop_front();
}

std::int64_t LoginThrottle::wait_seconds(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = failures_.find(address);
  if (it == failures_.end()) return 0;
  forget_old(it->second, now);
  if (it->second.size() < max_failures_) {
    if (it->second.empty()) failures_.erase(it);
    return 0;
  }
  // The moment the oldest failure that still counts leaves the window, in whole seconds rounded up as
  // DRF's Throttled does.
  auto left = it->second[it->second.size() - max_failures_] + window_ - now;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count();
  return std::max<std::int64_t>(1, (ms + 999) / 1000);
}

void LoginThrottle::record_failure(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (failures_.size() >= kMaxAddresses && failures_.find(address) == failures_.end()) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      forget_old(it->second, now);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
    // Still full: forget one address rather than grow without bound.
    if (failures_.size() >= kMaxAddresses) failures_.erase(failures_.begin());
  }
  auto& list = failures_[address];
  forget_old(list, now);
  list.push_back(now);
  while (list.size() > max_failures_) list.pop_front();
}

}  // namespace ypa::http::auth
