#pragma once
// Synthetic hop tables for the verdict tests: a standard IPv4 path (LAN, CGNAT, two public ISP hops, two
// upstream hops) with builders for loss and added delay, and the table checker.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/verdict.hpp"

namespace netstab::core::verdict_fixtures {

struct hop {
  hop_reading r;
  hop(unsigned ttl, const char* address, segment where) {
    r.ttl = ttl;
    r.address = address ? ip_address::parse(address) : std::nullopt;
    r.where = where;
    r.received = address ? 60 : 0;
    r.lost = address ? 0 : 60;
    r.loss_pct = address ? 0.0 : 100.0;
    if (address) r.rtt_p50_ms = r.baseline_p50_ms = 2.0 * ttl;
  }
  hop& loss(double pct) {
    r.loss_pct = pct;
    r.lost = static_cast<std::uint64_t>(pct * 60 / 100 + 0.5);
    r.received = 60 - r.lost;
    return *this;
  }
  hop& added(double ms) {
    r.rtt_p50_ms = *r.baseline_p50_ms + ms;
    return *this;
  }
  hop& no_baseline() {
    r.baseline_p50_ms.reset();
    return *this;
  }
  hop& thin() {  // fewer resolved probes than min_samples
    r.received = 3;
    r.lost = 0;
    return *this;
  }
  operator hop_reading() const { return r; }  // NOLINT(google-explicit-constructor): rows list hops
};

struct target {
  target_reading r;
  explicit target(const char* address = "203.0.113.7", segment where = segment::remote) {
    r.address = *ip_address::parse(address);
    r.where = where;
    r.received = 60;
    r.rtt_p50_ms = r.baseline_p50_ms = 20;
    r.rtt_p95_ms = 25;
    r.process_p95_ms = 25.5;
  }
  target& loss(double pct) {
    r.loss_pct = pct;
    r.lost = static_cast<std::uint64_t>(pct * 60 / 100 + 0.5);
    r.received = 60 - r.lost;
    return *this;
  }
  target& added(double ms) {
    r.rtt_p50_ms = *r.baseline_p50_ms + ms;
    r.rtt_p95_ms = *r.rtt_p50_ms + 5;
    return *this;
  }
  target& p95_without_baseline(double ms) {
    r.baseline_p50_ms.reset();
    r.rtt_p95_ms = ms;
    return *this;
  }
  target& process_p95(double ms) {
    r.process_p95_ms = ms;
    return *this;
  }
  target& status(health h) {
    r.status = h;
    return *this;
  }
};

// The standard IPv4 path of these tests, every hop clean: LAN, CGNAT, two public ISP hops, two upstream.
inline std::vector<hop> path() {
  return {hop(1, "192.168.1.1", segment::lan),    hop(2, "100.64.0.1", segment::isp),
          hop(3, "203.0.113.1", segment::isp),    hop(4, "198.51.100.1", segment::isp),
          hop(5, "192.0.2.1", segment::upstream), hop(6, "192.0.2.33", segment::upstream)};
}

// The standard path with hops from `from` (a TTL) on at the given loss.
inline std::vector<hop> lossy_from(unsigned from, double pct) {
  std::vector<hop> p = path();
  for (hop& h : p) {
    if (h.r.ttl >= from) h.loss(pct);
  }
  return p;
}

// The standard path with hops from `from` on delayed by `ms` over their baselines.
inline std::vector<hop> delayed_from(unsigned from, double ms) {
  std::vector<hop> p = path();
  for (hop& h : p) {
    if (h.r.ttl >= from) h.added(ms);
  }
  return p;
}

inline std::vector<hop> with(std::vector<hop> p, unsigned ttl, const hop& h) {
  p.at(ttl - 1) = h;
  return p;
}

struct row {
  const char* name;
  std::vector<hop> hops;
  target t;
  segment where;
  fault_metric metric;
  std::optional<unsigned> blamed;
  std::string reason;
  std::vector<unsigned> rate_limited = {};
};

inline std::vector<unsigned> rate_limited_ttls(const verdict& v) {
  std::vector<unsigned> out;
  for (const hop_judgment& j : v.hops) {
    if (j.rate_limited()) out.push_back(j.ttl);
  }
  return out;
}

inline void check(const std::vector<row>& rows) {
  for (const row& r : rows) {
    SCOPED_TRACE(r.name);
    const std::vector<hop_reading> readings(r.hops.begin(), r.hops.end());
    const verdict v = judge(readings, r.t.r, verdict_config{});
    EXPECT_TRUE(v.judged);
    EXPECT_EQ(v.f.where, r.where);
    EXPECT_EQ(v.f.metric, r.metric);
    EXPECT_EQ(v.f.hop, r.blamed);
    EXPECT_EQ(v.f.reason, r.reason);
    EXPECT_EQ(rate_limited_ttls(v), r.rate_limited);
  }
}

}  // namespace netstab::core::verdict_fixtures
