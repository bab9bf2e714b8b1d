#pragma once
// The verdict of one evaluation: whose fault a target's degradation is, from windowed statistics of the target
// and of every hop on its path (docs/verdict.md has the rule with worked examples).
//
// The rule. The target's readings decide whether anything is wrong; the hops only decide where.
// 1. host: the target's process latency p95 exceeds its RTT p95 by host_gap_ms or more while its RTT shows no
//    latency degradation. This is checked first: a starving host also times out probes to the target and to
//    every hop, so its losses would otherwise be blamed on the LAN or the target.
// 2. loss: the target's loss is above loss_pct (the status WARN threshold). The carry level is carry_share times
//    the target's loss; a judged hop shows the loss when it lost at least one probe and its lost count is at
//    least the carry level's expected count for its resolved probes less carry_noise_sd binomial standard
//    deviations (sampling noise: a hop that carries an 8% loss loses fewer than 4% of 60 probes by chance in
//    one window of eight, and must not break the carry for that). The blamed
//    point is the first judged hop that shows the loss with every later judged hop showing it too; when the
//    last judged hop does not show it, the target itself is blamed. Hops that are not judged (silent, or fewer
//    than min_samples resolved probes) neither confirm nor break a carry. A hop worse than the target is not a
//    fault in itself: it is blamed only when the loss carries on from it, and the reason quotes the target's
//    loss. With hops on the path but none judged, the verdict is `unknown`.
// 3. latency: the target's RTT p50 exceeds its baseline (the lowest p50 of the last hour, core/baseline.hpp) by
//    at least max(excess_ms, excess_pct of the baseline); without a baseline, its RTT p95 is above rtt_p95_ms.
//    A hop with a p50 and a baseline is judged; it shows the latency when its excess over its own baseline is
//    at least carry_share times the target's excess (without a target baseline: at least its own significant
//    excess). Blame and `unknown` as for loss.
// 4. Otherwise `ok`, whatever the hops show.
// Loss is judged before latency. A judged hop whose own loss is above loss_pct (or whose own excess is
// significant) but that is not part of the carrying run, or any such hop when the target is clean in that
// metric, is flagged rate_limited and never blamed: routers answer ICMP to themselves on a slow path, late or
// not at all, while forwarding traffic through them at full speed.
//
// The reason is a headline ("loss 8.0% from hop 3 (100.64.0.1, ISP) to the target", "loss 8.0% at the target
// (203.0.113.7)") and a context of up to three parts: the judged hops before the blamed point that are clean
// ("hops 1–2 clean"), the hops without data right before it, where the degradation may begin as well ("no
// data from hop 4"), and the rate-limited hops before it ("hop 4 drops ICMP to itself (rate-limited), not
// blamed"). fault_tracker adds "since 21:04 UTC" after the headline.
//
// Pure function; any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ip_address.hpp"
#include "core/path.hpp"
#include "core/stats_snapshot.hpp"
#include "core/status.hpp"
#include "core/time.hpp"

namespace netstab::core {

// One hop's windowed statistics, built by the caller from the hop's monitor.
struct hop_reading {
  unsigned ttl = 0;
  std::optional<ip_address> address;     // nullopt: the hop has not answered
  segment where = segment::unknown;      // from classify_path
  std::uint64_t received = 0, lost = 0;  // in the window; received + lost is what min_samples counts
  double loss_pct = 0.0;                 // lost / (received + lost) * 100, as in stats_snapshot
  std::optional<double> rtt_p50_ms;
  std::optional<double> baseline_p50_ms;  // from the hop's baseline_tracker
};

// The target's windowed statistics.
struct target_reading {
  ip_address address;
  segment where = segment::remote;  // from classify_path; unknown while the path is not traced
  health status = health::ok;       // the target's status: a fault is at least WARN, BAD when the status is
  std::uint64_t received = 0, lost = 0;
  double loss_pct = 0.0;
  std::optional<double> rtt_p50_ms, rtt_p95_ms;
  std::optional<double> baseline_p50_ms;  // from the target's baseline_tracker
  std::optional<double> process_p95_ms;   // compared with rtt_p95_ms for the host
  bool path_monitored = true;             // false: no path will be traced (a degradation is unknown for good)
};

struct verdict_config {
  double loss_pct = 2;            // the target is degraded in loss above this (status loss_warn_pct)
  double rtt_p95_ms = 100;        // without a baseline, degraded in latency above this (status rtt_p95_warn_ms)
  double excess_ms = 20;          // an RTT p50 excess over the baseline is significant from
  double excess_pct = 25;         // max(excess_ms, excess_pct % of the baseline)
  double carry_share = 0.5;       // a hop shows a degradation at this share of the target's (0 .. 1)
  double carry_noise_sd = 1;      // loss below that share still shows within this many binomial std deviations
  std::uint32_t min_samples = 5;  // resolved probes for a reading to be judged (status min_samples)
  double host_gap_ms = 20;        // process p95 minus RTT p95 from which the host is slow
};

// The status thresholds' meaning where it fits: loss_warn_pct, rtt_p95_warn_ms, min_samples.
verdict_config verdict_config_from(const status_thresholds& t);

enum class fault_metric : std::uint8_t { none, host, latency, loss };  // in increasing severity
std::string_view to_string(fault_metric m);                            // "none", "host", "latency", "loss"

// Where a degradation is, and why. `ok` has metric none and no hop.
struct fault {
  segment where = segment::ok;
  fault_metric metric = fault_metric::none;
  health level = health::ok;          // max(WARN, the target's status) for a fault
  std::optional<unsigned> hop;        // TTL of the blamed hop; nullopt when the target itself (or nothing) is
  std::optional<ip_address> address;  // the blamed hop's address, or the target's when it is blamed
  double value = 0.0;                 // the target's loss %, latency (excess or p95) ms, or host gap ms
  std::optional<wall_time> since;     // when the degradation began; set by fault_tracker
  std::string headline;               // "loss 8.0% from hop 3 (100.64.0.1, ISP) to the target"
  std::string context;                // "hops 1–2 clean"; may be empty
  std::string reason = "ok";          // headline, " since 21:04 UTC" when known, "; " context when not empty
};

// Same place and kind: segment, metric, hop and address (values and texts may differ).
bool same_fault(const fault& a, const fault& b);
// Severity order: level, then metric (loss > latency > host > none), then value.
bool more_severe(const fault& a, const fault& b);

struct hop_judgment {
  unsigned ttl = 0;
  bool judged_loss = false, judged_latency = false;  // enough data to take part in that judgment
  bool rate_limited_loss = false;                    // lossy, but the loss does not carry to the target
  bool rate_limited_latency = false;                 // slow, but the delay does not carry to the target
  bool rate_limited() const { return rate_limited_loss || rate_limited_latency; }
};

struct verdict {
  bool judged = false;  // false: the target resolved fewer than min_samples probes; f says "too few samples"
  fault f;
  std::vector<hop_judgment> hops;  // by TTL, ascending
};

// hops: one reading per TTL (any order; judged in TTL order).
verdict judge(std::vector<hop_reading> hops, const target_reading& target, const verdict_config& cfg);

}  // namespace netstab::core
