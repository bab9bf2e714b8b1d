#include "core/stats_snapshot.hpp"

namespace netstab::core {

std::string_view to_string(health h) {
  switch (h) {
    case health::ok:
      return "OK";
    case health::warn:
      return "WARN";
    case health::bad:
      return "BAD";
  }
  return "BAD";
}

}  // namespace netstab::core
