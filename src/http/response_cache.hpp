// The API's response cache: answers kept for a lifetime, then served stale for a while longer while one
// request has them refreshed, and bounded in entries and in bytes. Answers past their stale limit are
// dropped by a sweep at most once per lifetime + stale limit, so a server whose clients keep asking for
// new keys (a moving time range) holds only recent answers, not `capacity` dead ones. A template so that
// its policy can be tested with plain strings; the API keeps Responses in it, `Measure` saying how many
// bytes an answer holds.
#pragma once

#include <chrono>
#include <cstddef>
#include <iterator>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace ypa::http {

// The bytes of a string answer (the tests' values).
struct StringBytes {
  std::size_t operator()(const std::string& value) const { return value.size(); }
};

template <typename Value, typename Measure = StringBytes>
class ResponseCache {
 public:
  using Clock = std::chrono::steady_clock;

  // What the cache holds for a key: a fresh answer; or a stale one, with `refresh` set for the one
  // caller that is to have it refreshed; or nothing, when the caller computes it.
  struct Lookup {
    std::optional<Value> value;
    bool refresh = false;
  };

  // `lifetime`: fresh for this long after it is stored; `max_stale`: served this much longer while
  // one refresh runs; `capacity`: entries at most (at least 1); `max_bytes`: keys and answers (as
  // `Measure` counts them) at most.
  ResponseCache(std::size_t capacity, std::size_t max_bytes, std::chrono::milliseconds lifetime,
                std::chrono::milliseconds max_stale)
      : capacity_(capacity < 1 ? 1 : capacity), max_bytes_(max_bytes), lifetime_(lifetime), max_stale_(max_stale) {}

  Lookup find(std::string_view key, Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return {};
    Entry& entry = *it->second;
    if (now > entry.stale_until) {
      drop(it->second);
      return {};
    }
    entries_.splice(entries_.begin(), entries_, it->second);  // most recently used first
    if (now <= entry.expires) return {entry.value, false};
    // Expired: every caller keeps getting the previous answer while one refresh runs, so an expiry
    // never sends the waiting clients to the source, nor makes one of them wait.
    bool refresh = !entry.refreshing;
    entry.refreshing = true;
    return {entry.value, refresh};
  }

  // Stores (or replaces) the answer for `key`, fresh from `now`. When the cache is full (in entries or
  // in bytes), the entries used least recently make room: a chart that clients keep asking for stays,
  // however many other keys pass through (a crawler walking every page, a client adding a random
  // parameter). Clearing the whole cache instead would send every client of every chart to ClickHouse
  // at once. An answer larger than the whole byte budget is not kept (nor an older one for its key).
  void put(std::string_view key, Value value, Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    sweep_dead(now);
    if (auto it = index_.find(key); it != index_.end()) drop(it->second);
    const std::size_t bytes = key.size() + Measure{}(value);
    if (bytes > max_bytes_) return;
    while (!entries_.empty() && (entries_.size() >= capacity_ || bytes_ + bytes > max_bytes_)) {
      drop(std::prev(entries_.end()));
    }
    const auto expires = now + lifetime_;
    entries_.push_front(Entry{std::string(key), expires, expires + max_stale_, false, bytes, std::move(value)});
    index_.emplace(entries_.front().key, entries_.begin());
    bytes_ += bytes;
  }

  // The refresh that `find` handed out for `key` failed: a later request may try again.
  void release_refresh(std::string_view key) {
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) it->second->refreshing = false;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }
  // Keys and answers held, as `Measure` counts them.
  std::size_t bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
  }

 private:
  // Drops every answer past its stale limit, at most once per lifetime + stale limit: a whole pass
  // over at most `capacity` entries, cheap at that rate.
  void sweep_dead(Clock::time_point now) {
    if (now < next_sweep_) return;
    next_sweep_ = now + lifetime_ + max_stale_;
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (now <= it->stale_until) {
        ++it;
        continue;
      }
      it = drop(it);
    }
  }

  struct Entry {
    std::string key;
    Clock::time_point expires;      // fresh until then
    Clock::time_point stale_until;  // served while one request refreshes it
    bool refreshing = false;
    std::size_t bytes = 0;  // the key's and the answer's
    Value value;
  };
  using Entries = std::list<Entry>;

  // Forgets one entry; the one after it.
  typename Entries::iterator drop(typename Entries::iterator it) {
    bytes_ -= it->bytes;
    index_.erase(it->key);
    return entries_.erase(it);
  }

  const std::size_t capacity_;
  const std::size_t max_bytes_;
  const std::chrono::milliseconds lifetime_;
  const std::chrono::milliseconds max_stale_;
  mutable std::mutex mutex_;
  Clock::time_point next_sweep_{};
  Entries entries_;  // most recently used first
  std::size_t bytes_ = 0;
  // Keyed by views of the entries' own keys (list nodes do not move).
  std::unordered_map<std::string_view, typename Entries::iterator> index_;
};

}  // namespace ypa::http
