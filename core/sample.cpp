#include "core/sample.hpp"

namespace netstab::core {

std::string_view to_string(probe_status s) {
  switch (s) {
    case probe_status::ok: return "ok";
    case probe_status::timeout: return "timeout";
    case probe_status::late: return "late";
    case probe_status::duplicate: return "duplicate";
    case probe_status::unreachable: return "unreachable";
    case probe_status::error: return "error";
  }
  return "error";
}

std::string_view to_string(rtt_clock c) {
  switch (c) {
    case rtt_clock::none: return "none";
    case rtt_clock::kernel: return "kernel";
    case rtt_clock::kernel_rx: return "kernel_rx";
    case rtt_clock::user: return "user";
  }
  return "none";
}

}  // namespace netstab::core
