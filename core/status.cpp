#include "core/status.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace netstab::core {
namespace {

constexpr int rank(health h) { return static_cast<int>(h); }

health lower_level(health h) { return h == health::bad ? health::warn : health::ok; }

// Keeps f if the candidate is not worse: worse means a higher level, or the same
// level with a larger value / threshold ratio.
void consider(rule_finding& f, status_rule rule, health level, double value, double threshold) {
  if (level == health::ok) {
    return;
  }
  const auto ratio = [](double v, double t) { return t > 0.0 ? v / t : v; };
  if (rank(level) > rank(f.level) || (level == f.level && ratio(value, threshold) > ratio(f.value, f.threshold))) {
    f = rule_finding{level, rule, value, threshold};
  }
}

// Level a value reaches against a pair of (already scaled) thresholds.
void check(rule_finding& f, status_rule rule, double value, double warn, double bad, bool at_or_above) {
  const auto reaches = [&](double t) { return at_or_above ? value >= t : value > t; };
  if (reaches(bad)) {
    consider(f, rule, health::bad, value, bad);
  } else if (reaches(warn)) {
    consider(f, rule, health::warn, value, warn);
  }
}

// Formats f into buf; returns the length written (truncated to the buffer).
std::size_t format_rule(const rule_finding& f, char* buf, std::size_t size) {
  int n = 0;
  switch (f.rule) {
    case status_rule::none:
      n = std::snprintf(buf, size, "ok");
      break;
    case status_rule::rto_streak:
      n = std::snprintf(buf, size, "%.0f probes lost in a row", f.value);
      break;
    case status_rule::loss:
      n = std::snprintf(buf, size, "loss %.1f%% > %g%%", f.value, f.threshold);
      break;
    case status_rule::rtt_p95:
      n = std::snprintf(buf, size, "p95 rtt %.1f ms > %g ms", f.value, f.threshold);
      break;
    case status_rule::jitter:
      n = std::snprintf(buf, size, "jitter %.1f ms > %g ms", f.value, f.threshold);
      break;
  }
  if (n < 0) {
    return 0;
  }
  return std::min(static_cast<std::size_t>(n), size - 1);
}

}  // namespace

rule_finding worst_rule(const status_inputs& in, const status_thresholds& t, double scale, bool at_or_above) {
  rule_finding f;
  const auto streak = static_cast<double>(in.rto_streak);
  // The streak counts probes, so equality always reaches the level; 0 disables.
  if (t.rto_streak_bad > 0 && streak >= t.rto_streak_bad * scale) {
    consider(f, status_rule::rto_streak, health::bad, streak, t.rto_streak_bad * scale);
  } else if (t.rto_streak_warn > 0 && streak >= t.rto_streak_warn * scale) {
    consider(f, status_rule::rto_streak, health::warn, streak, t.rto_streak_warn * scale);
  }
  if (in.resolved >= t.min_samples) {
    check(f, status_rule::loss, in.loss_pct, t.loss_warn_pct * scale, t.loss_bad_pct * scale, at_or_above);
    if (in.rtt_p95_ms) {
      check(f, status_rule::rtt_p95, *in.rtt_p95_ms, t.rtt_p95_warn_ms * scale, t.rtt_p95_bad_ms * scale, at_or_above);
    }
    if (in.jitter_ms) {
      check(f, status_rule::jitter, *in.jitter_ms, t.jitter_warn_ms * scale, t.jitter_bad_ms * scale, at_or_above);
    }
  }
  return f;
}

std::string describe(const rule_finding& f) {
  std::array<char, 96> buf{};
  const std::size_t n = format_rule(f, buf.data(), buf.size());
  return std::string(buf.data(), n);
}

bool status_tracker::evaluate(const status_inputs& in) {
  last_ = in;
  const health before = level();
  const rule_finding raw = worst_rule(in, t_, 1.0, false);
  rule_finding held;
  if (rank(raw.level) > rank(level_)) {
    level_ = raw.level;
    calm_ = 0;
  } else if (level_ != health::ok) {
    held = worst_rule(in, t_, 1.0 - t_.hysteresis_pct / 100.0, true);
    if (rank(held.level) < rank(level_)) {
      ++calm_;
      if (calm_ >= t_.recover_after) {
        level_ = lower_level(level_);
        calm_ = 0;
      }
    } else {
      calm_ = 0;
    }
  }
  if (!faulted_) {
    refresh_reason(raw, held);
  }
  return level() != before;
}

void status_tracker::refresh_reason(const rule_finding& raw, const rule_finding& held) {
  if (level_ == health::ok) {
    if (reason_ != "ok") {
      reason_.assign("ok");
    }
    return;
  }
  std::array<char, 128> buf{};
  std::size_t n = 0;
  if (raw.level == level_) {
    n = format_rule(raw, buf.data(), buf.size());
  } else if (held.level == level_) {
    const int p = std::snprintf(buf.data(), buf.size(), "recovering: ");
    const auto prefix = static_cast<std::size_t>(p < 0 ? 0 : p);
    n = prefix + format_rule(held, buf.data() + prefix, buf.size() - prefix);
  } else {
    const int p = std::snprintf(buf.data(), buf.size(), "recovering (%u/%u)", calm_, t_.recover_after);
    n = std::min(static_cast<std::size_t>(p < 0 ? 0 : p), buf.size() - 1);
  }
  reason_.assign(buf.data(), n);
}

bool status_tracker::set_fault(std::string reason) {
  const health before = level();
  faulted_ = true;
  fault_ = std::move(reason);
  return level() != before;
}

bool status_tracker::clear_fault() {
  if (!faulted_) {
    return false;
  }
  faulted_ = false;
  fault_.clear();
  const rule_finding raw = worst_rule(last_, t_, 1.0, false);
  level_ = raw.level;
  calm_ = 0;
  refresh_reason(raw, rule_finding{});
  return level_ != health::bad;
}

std::size_t status_tracker::heap_bytes() const {
  const auto heap = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  return heap(reason_) + heap(fault_);
}

}  // namespace netstab::core
