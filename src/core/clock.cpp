#include "core/clock.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include "core/env.hpp"
#include "core/errors.hpp"

namespace ypa::clock {
namespace {

constexpr const char* kVariable = "YPA_SIM_CLOCK";

std::optional<SimClock> from_environment() {
  auto value = env::get(kVariable);
  if (!value || value->empty()) return std::nullopt;
  return parse_sim_clock(*value);
}

const std::optional<SimClock>& configured() {
  static const std::optional<SimClock> clock = from_environment();
  return clock;
}

}  // namespace

SimClock parse_sim_clock(std::string_view text) {
  auto fail = [&]() {
    return InputError(fmt::format("{} '{}': expected REAL0,SIM0,SPEED (Unix seconds, Unix seconds, a speed-up "
                                  "in (0, 100000]), e.g. 1764720000,1735657200,84",
                                  kVariable, text));
  };
  std::string parts[3];
  std::size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    std::size_t comma = text.find(',', start);
    if ((i < 2) != (comma != std::string_view::npos)) throw fail();
    parts[i] = std::string(text.substr(start, i < 2 ? comma - start : std::string_view::npos));
    start = comma + 1;
  }
  SimClock clock;
  double* fields[3] = {&clock.real0, &clock.sim0, &clock.speed};
  for (int i = 0; i < 3; ++i) {
    try {
      std::size_t used = 0;
      *fields[i] = std::stod(parts[i], &used);
      if (used != parts[i].size() || parts[i].empty() || !std::isfinite(*fields[i])) throw fail();
    } catch (const std::logic_error&) {
      throw fail();
    }
  }
  if (clock.real0 < 0 || clock.sim0 < 0 || clock.speed <= 0 || clock.speed > 100000) throw fail();
  return clock;
}

double simulated(const SimClock& clock, double real_seconds) {
  return clock.sim0 + (real_seconds - clock.real0) * clock.speed;
}

EpochSeconds now_seconds() {
  const auto real = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto& clock = configured();
  if (!clock) return static_cast<EpochSeconds>(std::floor(real));
  return static_cast<EpochSeconds>(std::floor(simulated(*clock, real)));
}

void check_environment() { (void)configured(); }

}  // namespace ypa::clock
