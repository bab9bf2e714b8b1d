#pragma once
// Health status of one target (OK / WARN / BAD) from window metrics, with hysteresis.
//
// Rules, each with a WARN and a BAD threshold: window loss %, window p95 RTT,
// window jitter (IPDV mean) and the current streak of probes lost in a row
// (timeouts, unreachable and errors alike: target_monitor). A rule reaches a level
// when its value is above the threshold (the streak: at or above). Loss, p95 and
// jitter apply only when the window resolved at least min_samples probes; the
// streak applies always.
//
// Hysteresis: the status rises to the highest level any rule reaches at once.
// It drops one level at a time, and only after recover_after consecutive
// evaluations in which no rule is at or above threshold * (1 - hysteresis_pct/100)
// of the current level; any evaluation that is not calm restarts the count. So
// BAD -> OK takes at least 2 * recover_after evaluations, and a metric hovering
// around a threshold does not flap.
//
// A fault (e.g. "resolve failed: ...") forces BAD with its own reason until it is
// cleared; metrics are still tracked underneath, and clearing sets the status to
// what the latest metrics say (no hysteresis).
//
// The reason names the worst rule: the highest level reached, ties broken by the
// largest value / threshold ratio ("loss 7.5% > 5%", "p95 rtt 312.4 ms > 250 ms",
// "jitter 61.0 ms > 50 ms", "4 probes lost in a row"); "ok" when OK; while held
// up by hysteresis, "recovering: loss 4.5% > 4%" (the hysteresis threshold) or
// "recovering (1/3)" (calm evaluations so far). Text is only formatted while the
// status is not OK, so a healthy target never formats or allocates here.
//
// Not thread-safe; owned by a target_monitor on the loop thread.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/stats_snapshot.hpp"

namespace netstab::core {

struct status_thresholds {
  double loss_warn_pct = 2, loss_bad_pct = 5;
  double rtt_p95_warn_ms = 100, rtt_p95_bad_ms = 250;
  double jitter_warn_ms = 20, jitter_bad_ms = 50;
  std::uint32_t rto_streak_warn = 2, rto_streak_bad = 4;  // 0 disables that level of the rule
  double hysteresis_pct = 20;
  std::uint32_t recover_after = 3;
  std::uint32_t min_samples = 5;
};

// What one evaluation looks at.
struct status_inputs {
  std::uint64_t resolved = 0;  // received + lost in the window
  double loss_pct = 0.0;
  std::optional<double> rtt_p95_ms;
  std::optional<double> jitter_ms;
  std::uint64_t rto_streak = 0;
};

enum class status_rule : std::uint8_t { none, rto_streak, loss, rtt_p95, jitter };

// The worst rule found by worst_rule: its level, value and the (scaled) threshold it passed.
struct rule_finding {
  health level = health::ok;
  status_rule rule = status_rule::none;
  double value = 0.0;
  double threshold = 0.0;
};

// Worst rule of the inputs with every threshold multiplied by scale. With
// at_or_above, a value equal to a scaled threshold counts as reaching it (the
// calm test); otherwise it must be above (the raise test). The streak rule always
// counts equality.
rule_finding worst_rule(const status_inputs& in, const status_thresholds& t, double scale, bool at_or_above);

// "loss 7.5% > 5%" etc.; "ok" for no rule.
std::string describe(const rule_finding& f);

class status_tracker {
 public:
  explicit status_tracker(const status_thresholds& t) : t_(t) {}

  // One evaluation; returns true when level() changed.
  bool evaluate(const status_inputs& in);
  // Forces BAD with reason / lifts it; return true when level() changed.
  bool set_fault(std::string reason);
  bool clear_fault();

  health level() const { return faulted_ ? health::bad : level_; }
  const std::string& reason() const { return faulted_ ? fault_ : reason_; }
  bool faulted() const { return faulted_; }
  const status_thresholds& thresholds() const { return t_; }

  std::size_t heap_bytes() const;

 private:
  void refresh_reason(const rule_finding& raw, const rule_finding& held);

  status_thresholds t_;
  status_inputs last_;
  std::string reason_ = "ok";
  std::string fault_;
  health level_ = health::ok;  // from metrics, with hysteresis
  std::uint32_t calm_ = 0;     // consecutive calm evaluations at level_
  bool faulted_ = false;
};

}  // namespace netstab::core
