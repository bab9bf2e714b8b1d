// The target the prober tests probe: a host with its interval and a 1 s timeout, the rest default.
#pragma once

#include <chrono>
#include <string>

#include "core/target.hpp"

namespace netstab::test {

inline core::target_spec probe_target(const std::string& host, std::chrono::milliseconds interval) {
  core::target_spec t = core::make_target(host, {});
  t.probe.interval = interval;
  t.probe.timeout = std::chrono::milliseconds(1000);
  return t;
}

}  // namespace netstab::test
