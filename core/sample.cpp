#include "core/sample.hpp"

#include <algorithm>

namespace netstab::core {

std::string_view to_string(probe_status s) {
  switch (s) {
    case probe_status::ok:
      return "ok";
    case probe_status::timeout:
      return "timeout";
    case probe_status::late:
      return "late";
    case probe_status::duplicate:
      return "duplicate";
    case probe_status::unreachable:
      return "unreachable";
    case probe_status::error:
      return "error";
  }
  return "error";
}

std::string_view to_string(rtt_clock c) {
  switch (c) {
    case rtt_clock::none:
      return "none";
    case rtt_clock::kernel:
      return "kernel";
    case rtt_clock::kernel_rx:
      return "kernel_rx";
    case rtt_clock::user:
      return "user";
  }
  return "none";
}

rtt_measurement measure_rtt(nanos process, std::optional<wall_time> kernel_rx, std::optional<wall_time> kernel_tx,
                            wall_time user_tx) {
  if (!kernel_rx) return {process, rtt_clock::user};
  const nanos rtt = *kernel_rx - (kernel_tx ? *kernel_tx : user_tx);
  const nanos allowed = process + process / 1000 + std::chrono::microseconds(1);
  if (rtt < nanos{0} || rtt > allowed) return {process, rtt_clock::user};
  return {std::min(rtt, process), kernel_tx ? rtt_clock::kernel : rtt_clock::kernel_rx};
}

}  // namespace netstab::core
