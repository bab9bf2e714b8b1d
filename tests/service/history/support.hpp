#pragma once
// Helpers of the history tests: a private temporary directory, a clock whose wall time the test sets, a
// thread-safe collector of the writer's reports, and builders of realistic minutes and batches. Test thread,
// except report_collector (any thread).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/history_recorder.hpp"
#include "core/history_rollup.hpp"
#include "service/history/writer.hpp"
#include "tests/support/temp_dir.hpp"

namespace netstab::service::history::testing {

using std::chrono::seconds;

// 2026-12-01T00:00:00Z
inline constexpr core::wall_time day0{1'796'083'200LL * 1'000'000'000};
inline constexpr std::int64_t day0_s = 1'796'083'200;

using temp_dir = test::temp_dir;

// Wall time set by the test (readable from the writer thread); monotonic time from the real clock.
class test_clock final : public core::clock {
 public:
  explicit test_clock(core::wall_time wall = day0) : wall_(wall.count()) {}
  core::mono_time now() const override {
    return std::chrono::duration_cast<core::nanos>(std::chrono::steady_clock::now().time_since_epoch());
  }
  core::wall_time wall_now() const override { return core::wall_time{wall_.load()}; }
  void set(core::wall_time t) { wall_ = t.count(); }

 private:
  std::atomic<std::int64_t> wall_;
};

class report_collector {
 public:
  std::function<void(history_report)> callback() {
    return [this](history_report r) {
      {
        std::lock_guard lock(mu_);
        reports_.push_back(std::move(r));
      }
      cv_.notify_all();
    };
  }
  // Waits for a report of kind k (up to timeout); returns it, or one with an empty message when none came.
  history_report wait_for(history_report::kind k, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    history_report found{k, ""};
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& r : reports_) {
        if (r.what == k) {
          found = r;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::vector<history_report> all() const {
    std::lock_guard lock(mu_);
    return reports_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<history_report> reports_;
};

// Polls pred every millisecond up to timeout; true as soon as it holds.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A minute of `replies` replies with RTTs base_ms + (i % 10) * spread_ms / 10 (process 0.2 ms more), then
// `lost` timeouts, at start_s (aligned to the minute).
inline core::rollup make_minute(std::int64_t start_s, double base_ms, int replies = 60, int lost = 0,
                                double spread_ms = 2.0, core::health status = core::health::ok) {
  core::minute_accumulator acc;
  core::rollup done;
  const core::wall_time t0{start_s * 1'000'000'000};
  for (int i = 0; i < replies + lost; ++i) {
    const core::wall_time at = t0 + std::chrono::milliseconds(i * 60'000 / (replies + lost));
    (void)acc.on_sent(at, done);
    core::sample s;
    s.wall = at;
    s.seq = static_cast<std::uint32_t>(i);
    if (i < replies) {
      const double rtt = base_ms + (i % 10) * spread_ms / 10.0;
      s.rtt = core::nanos{static_cast<std::int64_t>(rtt * 1e6)};
      s.process = core::nanos{static_cast<std::int64_t>((rtt + 0.2) * 1e6)};
    } else {
      s.status = core::probe_status::timeout;
    }
    (void)acc.on_sample(s, status, done);
  }
  (void)acc.close(done);
  return done;
}

inline core::history_batch minutes_batch(const std::vector<std::string>& targets, std::int64_t start_s, int minutes,
                                         double base_ms = 20.0) {
  core::history_batch b;
  for (int m = 0; m < minutes; ++m) {
    for (const auto& t : targets) b.minutes.push_back({t, make_minute(start_s + m * 60, base_ms)});
  }
  b.heartbeat = core::wall_time{(start_s + minutes * 60) * 1'000'000'000LL};
  return b;
}

}  // namespace netstab::service::history::testing
