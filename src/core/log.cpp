#include "core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace ypa::log {

void init(bool verbose) {
  auto logger = spdlog::stderr_color_mt("ypa");
  logger->set_pattern("%Y-%m-%d %H:%M:%S %^%l%$ %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace ypa::log
