#include "store/failpoint.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace ypa::store {
namespace {

struct Armed {
  std::string name;
  long remaining = 0;  // hits left before the exit; 0 = disarmed
};

Armed& armed() {
  static Armed a = [] {
    Armed parsed;
    const char* spec = std::getenv("YPA_FAILPOINT");
    if (spec == nullptr) return parsed;
    std::string s = spec;
    auto colon = s.rfind(':');
    parsed.name = s.substr(0, colon);
    parsed.remaining = colon == std::string::npos ? 1 : std::strtol(s.c_str() + colon + 1, nullptr, 10);
    return parsed;
  }();
  return a;
}

std::mutex& failpoint_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

void failpoint(std::string_view name) {
  std::lock_guard lock(failpoint_mutex());
  Armed& a = armed();
  if (a.remaining <= 0 || a.name != name) return;
  if (--a.remaining == 0) {
    std::fprintf(stderr, "ypa: fail point %s reached, exiting\n", a.name.c_str());
    std::fflush(stderr);
    ::_exit(137);
  }
}

}  // namespace ypa::store
