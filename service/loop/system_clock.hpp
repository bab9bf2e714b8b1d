#pragma once
// The real clock: CLOCK_MONOTONIC for schedules and latencies, CLOCK_REALTIME for
// payload timestamps and for comparing with kernel packet timestamps. Any thread.
#include <time.h>

#include "core/time.hpp"

namespace netstab::service {

class system_clock final : public core::clock {
 public:
  core::mono_time now() const override { return read(CLOCK_MONOTONIC); }
  core::wall_time wall_now() const override { return read(CLOCK_REALTIME); }

 private:
  static core::nanos read(clockid_t id) {
    timespec ts{};
    ::clock_gettime(id, &ts);
    return core::nanos{static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec};
  }
};

}  // namespace netstab::service
