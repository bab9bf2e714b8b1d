// The per-target memory benchmark (issue 15): what the statistics of one target hold on the heap once its
// window is full and a history minute has been finished, at the default settings (a 60 s window of 12 buckets,
// 1 probe/s). It feeds N targets with the core types the prober uses (target_monitor, minute_accumulator) from a
// seeded latency model, so a run is reproducible and two builds can be compared byte for byte, without a network
// or a broker. bench/run measures the whole process; this isolates the part that grows with the target count.
//
//   netstab_memory_bench [--targets 10000] [--seconds 180] [--seed 1]
//
// The latency model: RTT log-normal with a median of 60 us (sigma 0.5), the process latency that plus a
// log-normal 300 us (sigma 1.0): a model with a spread of a few hundred microseconds, not a measurement.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/history_rollup.hpp"
#include "core/target_monitor.hpp"

namespace netstab::bench {
namespace {

struct options {
  std::size_t targets = 10000;
  int seconds = 180;
  unsigned seed = 1;
};

options parse(int argc, char** argv) {
  options o;
  if (argc % 2 == 0) {
    std::fprintf(stderr, "usage: netstab_memory_bench [--targets N] [--seconds S] [--seed K]\n");
    std::exit(2);
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--targets") {
      o.targets = std::strtoull(value, nullptr, 10);
    } else if (key == "--seconds") {
      o.seconds = std::atoi(value);
    } else if (key == "--seed") {
      o.seed = static_cast<unsigned>(std::strtoul(value, nullptr, 10));
    } else {
      std::fprintf(stderr, "unknown option %s\n", key.c_str());
      std::exit(2);
    }
  }
  if (o.targets == 0 || o.seconds <= 0) {
    std::fprintf(stderr, "--targets and --seconds must be positive\n");
    std::exit(2);
  }
  return o;
}

std::size_t heap_in_use() { return mallinfo2().uordblks; }

struct target {
  explicit target(const core::monitor_config& mc) : monitor(mc) {}
  core::target_monitor monitor;
  core::minute_accumulator minute;
};

// One second of 1 Hz probing of every target; finished minutes go to `done` (the writer's batch), which run()
// empties at the end of that second, as the writer frees a batch after its transaction.
void feed_second(std::vector<std::unique_ptr<target>>& targets, int second, std::mt19937& rng,
                 std::vector<core::rollup>& done) {
  std::lognormal_distribution<double> rtt_us(std::log(60.0), 0.5);
  std::lognormal_distribution<double> extra_us(std::log(300.0), 1.0);
  std::vector<core::monitor_event> events;
  core::rollup finished;
  const auto base = std::chrono::seconds(1'796'083'200);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    target& t = *targets[i];
    const auto offset = std::chrono::microseconds(static_cast<long>(i * 1'000'000 / targets.size()));
    const core::mono_time sent = std::chrono::seconds(second) + offset;
    t.monitor.on_sent(sent);
    core::sample s;
    s.seq = static_cast<std::uint32_t>(second);
    s.sent_at = sent;
    const double rtt = rtt_us(rng);
    s.rtt = std::chrono::nanoseconds(static_cast<long>(rtt * 1000));
    s.process = std::chrono::nanoseconds(static_cast<long>((rtt + extra_us(rng)) * 1000));
    s.at = sent + *s.process;
    s.wall = core::wall_time(base + s.at);
    events.clear();
    t.monitor.on_sample(s, events);
    if (t.minute.on_sent(core::wall_time(base + sent), finished)) {
      done.push_back(std::move(finished));
    }
    if (t.minute.on_sample(s, t.monitor.status(), finished)) {
      done.push_back(std::move(finished));
    }
  }
}

int run(const options& o) {
  core::monitor_config mc;
  const std::size_t before = heap_in_use();
  std::vector<std::unique_ptr<target>> targets;
  targets.reserve(o.targets);
  for (std::size_t i = 0; i < o.targets; ++i) {
    targets.push_back(std::make_unique<target>(mc));
  }
  const std::size_t built = heap_in_use();
  std::mt19937 rng(o.seed);
  std::vector<core::rollup> done;
  std::size_t batch_peak = 0;
  for (int s = 0; s < o.seconds; ++s) {
    feed_second(targets, s, rng, done);
    // Every target's minute ends within this second; the writer takes the batch and frees it about then.
    if (!done.empty()) {
      batch_peak = std::max(batch_peak, heap_in_use());
      done.clear();
      done.shrink_to_fit();
    }
  }
  const std::size_t fed = heap_in_use();
  std::size_t monitor_bytes = 0;
  for (const auto& t : targets) {
    monitor_bytes += t->monitor.memory_bytes();
  }
  const auto per = [&](std::size_t bytes) { return static_cast<double>(bytes) / static_cast<double>(o.targets); };
  const auto mb = [](std::size_t bytes) { return static_cast<double>(bytes) / 1e6; };
  std::printf("targets %zu, %d s at 1 probe/s, seed %u\n", o.targets, o.seconds, o.seed);
  std::printf("heap in use after construction: %.2f MB (%.0f B a target)\n", mb(built - before), per(built - before));
  std::printf("heap in use with full windows:  %.2f MB (%.0f B a target)\n", mb(fed - before), per(fed - before));
  std::printf("heap at a minute's end, batch held: %.2f MB\n", batch_peak > before ? mb(batch_peak - before) : 0.0);
  std::printf("target_monitor::memory_bytes:   %.0f B a target\n", per(monitor_bytes));
  return 0;
}

}  // namespace
}  // namespace netstab::bench

int main(int argc, char** argv) { return netstab::bench::run(netstab::bench::parse(argc, argv)); }
