#include "tests/support/timestamps.hpp"

#include <time.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace netstab::test {

std::chrono::system_clock::time_point ts_of(const nlohmann::json& payload) {
  const std::string ts = payload.is_object() && payload.contains("ts") && payload["ts"].is_string()
                             ? payload["ts"].get<std::string>()
                             : std::string();
  tm t{};
  int ms = 0;
  char zone = 0;
  if (std::sscanf(ts.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour, &t.tm_min,
                  &t.tm_sec, &ms, &zone) != 8 ||
      zone != 'Z') {
    throw std::invalid_argument("not an RFC 3339 UTC time with milliseconds: '" + ts + "'");
  }
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(::timegm(&t)) + std::chrono::milliseconds(ms);
}

}  // namespace netstab::test
