// The latency and host rules of the verdict (core/verdict.cpp); the loss rules are in verdict_test.cpp.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "core/verdict.hpp"
#include "tests/core/verdict_fixtures.hpp"

namespace netstab::core {
namespace {

using namespace verdict_fixtures;

TEST(Verdict, Latency) {
  std::vector<hop> no_baselines = path();
  for (hop& h : no_baselines) h.no_baseline();
  check({
      {"added delay from one hop", delayed_from(3, 50), target().added(50), segment::isp, fault_metric::latency, 3,
       "latency +50.0 ms over baseline from hop 3 (203.0.113.1, ISP) to the target; hops 1–2 clean"},
      {"a slow hop whose delay does not carry: ok",
       with(path(), 4, hop(4, "198.51.100.1", segment::isp).added(80)),
       target(),
       segment::ok,
       fault_metric::none,
       std::nullopt,
       "ok; hop 4 delays ICMP to itself (rate-limited), not blamed",
       {4}},
      {"a slow hop before the real delay",
       with(with(path(), 2, hop(2, "100.64.0.1", segment::isp).added(80)), 6,
            hop(6, "192.0.2.33", segment::upstream).added(40)),
       target().added(40),
       segment::upstream,
       fault_metric::latency,
       6,
       "latency +40.0 ms over baseline from hop 6 (192.0.2.33, upstream) to the target; hops 1, 3–5 clean; hop 2 "
       "delays ICMP to itself (rate-limited), not blamed",
       {2}},
      {"delay only at the target", path(), target().added(30), segment::remote, fault_metric::latency, std::nullopt,
       "latency +30.0 ms over baseline at the target (203.0.113.7); hops 1–6 clean"},
      {"below the significant excess", path(), target().added(19), segment::ok, fault_metric::none, std::nullopt, "ok"},
      {"no target baseline: p95 over the warn threshold, placed by the hops' own excess",
       with(with(path(), 5, hop(5, "192.0.2.1", segment::upstream).added(60)), 6,
            hop(6, "192.0.2.33", segment::upstream).added(60)),
       target().p95_without_baseline(150), segment::upstream, fault_metric::latency, 5,
       "p95 rtt 150.0 ms > 100 ms from hop 5 (192.0.2.1, upstream) to the target; hops 1–4 clean"},
      {"no baselines anywhere yet: unknown", no_baselines, target().p95_without_baseline(150), segment::unknown,
       fault_metric::latency, std::nullopt,
       "p95 rtt 150.0 ms > 100 ms to the target (203.0.113.7); no hop has enough data to place it"},
      {"loss is judged before latency", lossy_from(4, 8), target().loss(8).added(50), segment::isp, fault_metric::loss,
       4, "loss 8.0% from hop 4 (198.51.100.1, ISP) to the target; hops 1–3 clean"},
  });
}

TEST(Verdict, Host) {
  check({
      {"host starving: timeouts everywhere, process far above rtt", lossy_from(1, 12),
       target().loss(12).process_p95(400), segment::host, fault_metric::host, std::nullopt,
       "host slow: process p95 400.0 ms vs rtt p95 25.0 ms (+375.0 ms); loss 12.0% comes from the host, not the "
       "network"},
      {"host slow without loss", path(), target().process_p95(60), segment::host, fault_metric::host, std::nullopt,
       "host slow: process p95 60.0 ms vs rtt p95 25.0 ms (+35.0 ms)"},
      {"a gap below host_gap_ms", path(), target().process_p95(44), segment::ok, fault_metric::none, std::nullopt,
       "ok"},
      {"rtt degraded too: the network's latency, not the host", delayed_from(3, 50),
       target().added(50).process_p95(400), segment::isp, fault_metric::latency, 3,
       "latency +50.0 ms over baseline from hop 3 (203.0.113.1, ISP) to the target; hops 1–2 clean"},
  });
}

}  // namespace
}  // namespace netstab::core
