#pragma once
// Time vocabulary of netstab. Every schedule, timeout and latency is a count of
// nanoseconds on the monotonic clock (`mono_time`, an offset from an arbitrary
// epoch). Wall-clock time (`wall_time`, nanoseconds since the Unix epoch) is used
// only for the `ts` printed in payloads. Core never reads a clock itself: callers
// pass time in, so tests drive everything with `fake_clock`.
#include <chrono>
#include <cstdint>

namespace netstab::core {

using nanos = std::chrono::nanoseconds;
using mono_time = std::chrono::nanoseconds;  // monotonic, arbitrary epoch
using wall_time = std::chrono::nanoseconds;  // realtime, since 1970-01-01T00:00:00Z

// The one clock interface. The service implements it with CLOCK_MONOTONIC and
// CLOCK_REALTIME; tests implement it with fake_clock. Callable from any thread
// the implementation allows (the real one is thread-safe).
class clock {
 public:
  virtual ~clock() = default;
  virtual mono_time now() const = 0;
  virtual wall_time wall_now() const = 0;
};

// A clock that moves only when told to; for tests.
class fake_clock final : public clock {
 public:
  explicit fake_clock(mono_time start = nanos{0}, wall_time wall_start = nanos{1'700'000'000'000'000'000})
      : mono_(start), wall_offset_(wall_start - start) {}
  mono_time now() const override { return mono_; }
  wall_time wall_now() const override { return mono_ + wall_offset_; }
  void advance(nanos d) { mono_ += d; }
  void set(mono_time t) { mono_ = t; }

 private:
  mono_time mono_;
  nanos wall_offset_;
};

constexpr double to_ms(nanos d) { return static_cast<double>(d.count()) / 1e6; }
// How many times a second something happens every d (a probe rate from its interval); 0 when d is not positive.
constexpr double per_second(nanos d) { return d.count() > 0 ? 1e9 / static_cast<double>(d.count()) : 0.0; }

}  // namespace netstab::core
