#include "service/app/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace netstab::service {

void setup_logging(const config::log_settings& l) {
  // Logs go to stderr: stdout carries samples in engine mode.
  auto logger = spdlog::stderr_color_mt("netstab");
  spdlog::set_default_logger(logger);
  switch (l.level) {
    case config::log_level::trace:
      spdlog::set_level(spdlog::level::trace);
      break;
    case config::log_level::debug:
      spdlog::set_level(spdlog::level::debug);
      break;
    case config::log_level::info:
      spdlog::set_level(spdlog::level::info);
      break;
    case config::log_level::warn:
      spdlog::set_level(spdlog::level::warn);
      break;
    case config::log_level::error:
      spdlog::set_level(spdlog::level::err);
      break;
    case config::log_level::off:
      spdlog::set_level(spdlog::level::off);
      break;
  }
  if (l.format == config::log_format::json) {
    spdlog::set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})", spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
}

}  // namespace netstab::service
