#include "core/history_rollup.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "core/histogram_codec.hpp"

// Counts heap allocations, so a test can show that the accumulator's steady state allocates nothing. A
// plain build replaces the global operator new for the whole test binary (it only counts and allocates with
// malloc like the default). Sanitizers bring their own operator new, and a second definition either fails to
// link (TSan) or pairs their new with our delete (ASan), so there the count comes from the sanitizer's own
// allocation hook instead.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NETSTAB_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define NETSTAB_TEST_SANITIZED 1
#endif
#endif

namespace {
std::atomic<std::uint64_t> allocations{0};
}  // namespace

#ifdef NETSTAB_TEST_SANITIZED
// Declared here because GCC does not ship <sanitizer/allocator_interface.h>; the runtime of every sanitizer
// defines it.
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*on_malloc)(const volatile void*, std::size_t),
                                                         void (*on_free)(const volatile void*));

namespace {
void count_allocation(const volatile void*, std::size_t) { allocations.fetch_add(1, std::memory_order_relaxed); }
void ignore_free(const volatile void*) {}
const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(count_allocation, ignore_free);
}  // namespace
#else
// Not inlined: GCC 12 at -O3 would otherwise see free() reach a pointer from `new` (-Wmismatched-new-delete), not
// knowing that this operator new allocates with malloc.
[[gnu::noinline]] void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace {
// The counter must see an allocation it did not expect to miss, or "allocates nothing" proves nothing.
bool counter_sees_allocations() {
#ifdef NETSTAB_TEST_SANITIZED
  if (hooks_installed == 0) return false;
#endif
  const std::uint64_t before = allocations.load();
  std::vector<int>* volatile grown = new std::vector<int>(64, 1);
  const bool seen = allocations.load() > before && (*grown)[63] == 1;
  delete grown;
  return seen;
}
}  // namespace

namespace netstab::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// 2023-11-14T22:13:00Z, a minute boundary.
constexpr wall_time t0{1'699'999'980'000'000'000};

sample reply(wall_time wall, double rtt_ms, double process_ms) {
  sample s;
  s.status = probe_status::ok;
  s.wall = wall;
  s.rtt = nanos{static_cast<std::int64_t>(rtt_ms * 1e6)};
  s.process = nanos{static_cast<std::int64_t>(process_ms * 1e6)};
  return s;
}

sample outcome(wall_time wall, probe_status st) {
  sample s;
  s.status = st;
  s.wall = wall;
  if (st == probe_status::late || st == probe_status::duplicate) s.rtt = milliseconds(900);
  return s;
}

TEST(MinuteAccumulator, CountsOutcomesLikeTheMonitor) {
  minute_accumulator acc;
  rollup done;
  const std::vector<probe_status> order = {probe_status::ok,         probe_status::timeout, probe_status::late,
                                           probe_status::duplicate,  probe_status::error,   probe_status::ok,
                                           probe_status::unreachable};
  for (std::size_t i = 0; i < order.size(); ++i) {
    const wall_time at = t0 + seconds(i);
    EXPECT_FALSE(acc.on_sent(at, done));
    const sample s =
        order[i] == probe_status::ok ? reply(at, 10.0 + static_cast<double>(i), 11.0) : outcome(at, order[i]);
    EXPECT_FALSE(acc.on_sample(s, health::ok, done));
  }
  ASSERT_TRUE(acc.close(done));
  EXPECT_EQ(done.start_s, t0.count() / 1'000'000'000);
  EXPECT_EQ(done.sent, 7U);
  EXPECT_EQ(done.received, 2U);
  EXPECT_EQ(done.lost, 3U);  // timeout, error, unreachable
  EXPECT_EQ(done.late, 1U);
  EXPECT_EQ(done.duplicates, 1U);
  EXPECT_EQ(done.rtt_n, 2U);  // late and duplicate RTTs do not count
  EXPECT_EQ(done.rtt_min_us, 10000U);
  EXPECT_EQ(done.rtt_max_us, 15000U);
  EXPECT_EQ(done.rtt_sum_us, 25000U);
  EXPECT_EQ(done.process_n, 2U);
  EXPECT_EQ(done.ipdv_n, 1U);
  EXPECT_EQ(done.ipdv_sum_us, 5000U);
  EXPECT_FALSE(acc.is_open());
  EXPECT_FALSE(acc.close(done));
}

TEST(MinuteAccumulator, TheNextMinuteFinishesTheOpenOne) {
  minute_accumulator acc;
  rollup done;
  EXPECT_FALSE(acc.on_sample(reply(t0 + seconds(59), 20, 21), health::ok, done));
  // The pair of replies straddling the boundary gives its IPDV to the later minute.
  EXPECT_TRUE(acc.on_sample(reply(t0 + seconds(60), 26, 27), health::ok, done));
  EXPECT_EQ(done.start_s * 1'000'000'000, t0.count());
  EXPECT_EQ(done.received, 1U);
  EXPECT_EQ(done.ipdv_n, 0U);
  ASSERT_TRUE(acc.close(done));
  EXPECT_EQ(done.start_s * 1'000'000'000, (t0 + seconds(60)).count());
  EXPECT_EQ(done.ipdv_n, 1U);
  EXPECT_EQ(done.ipdv_sum_us, 6000U);
}

TEST(MinuteAccumulator, ClosesAnEndedMinuteOnlyOnceItEnded) {
  minute_accumulator acc;
  rollup done;
  EXPECT_FALSE(acc.on_sent(t0 + seconds(10), done));
  EXPECT_FALSE(acc.close_if_ended(t0 + seconds(59), done));
  EXPECT_TRUE(acc.close_if_ended(t0 + seconds(60), done));
  EXPECT_EQ(done.sent, 1U);
  EXPECT_FALSE(acc.close_if_ended(t0 + seconds(600), done));
}

TEST(MinuteAccumulator, AClockSteppedBackFinishesTheMinute) {
  minute_accumulator acc;
  rollup done;
  EXPECT_FALSE(acc.on_sample(reply(t0 + seconds(5), 20, 21), health::ok, done));
  EXPECT_TRUE(acc.on_sample(reply(t0 - seconds(3600), 20, 21), health::ok, done));
  EXPECT_EQ(done.start_s * 1'000'000'000, t0.count());
  ASSERT_TRUE(acc.close(done));
  EXPECT_EQ(done.start_s * 1'000'000'000, (t0 - seconds(3600)).count());
}

TEST(MinuteAccumulator, KeepsTheWorstStatusAndItsVerdict) {
  minute_accumulator acc;
  rollup done;
  acc.set_verdict("local");
  (void)acc.on_sample(reply(t0, 20, 21), health::warn, done);
  acc.set_verdict("isp");
  (void)acc.on_sample(outcome(t0 + seconds(1), probe_status::timeout), health::bad, done);
  acc.set_verdict("");
  (void)acc.on_sample(reply(t0 + seconds(2), 20, 21), health::warn, done);
  ASSERT_TRUE(acc.close(done));
  EXPECT_EQ(done.worst, health::bad);
  EXPECT_EQ(done.verdict, "isp");
  // The verdict is not carried into the next minute's row unless it is still in effect.
  (void)acc.on_sample(reply(t0 + seconds(60), 20, 21), health::ok, done);
  ASSERT_TRUE(acc.close(done));
  EXPECT_EQ(done.worst, health::ok);
  EXPECT_EQ(done.verdict, "");
}

TEST(MinuteAccumulator, SteadyStateDoesNotAllocate) {
  ASSERT_TRUE(counter_sees_allocations());
  minute_accumulator acc;
  rollup done;
  const auto feed_minute = [&](int m) {
    for (int i = 0; i < 60; ++i) {
      const wall_time at = t0 + seconds(60 * m + i);
      (void)acc.on_sent(at, done);
      (void)acc.on_sample(reply(at, 20.0 + (i % 7) * 0.4, 20.5 + (i % 5) * 0.5), health::ok, done);
    }
  };
  feed_minute(0);
  feed_minute(1);  // grows `done` to the same spread
  const std::uint64_t before = allocations.load();
  for (int m = 2; m < 10; ++m) feed_minute(m);
  EXPECT_EQ(allocations.load(), before);
}

TEST(MinuteAccumulator, FinishingMovesTheHistogramInsteadOfCopyingIt) {
  // The recorder hands each finished minute to the writer's batch; a copy would hold every target's histogram
  // twice until the writer is done with it.
  ASSERT_TRUE(counter_sees_allocations());
  minute_accumulator acc;
  rollup scratch;
  for (int i = 0; i < 60; ++i) {
    const wall_time at = t0 + seconds(i);
    (void)acc.on_sent(at, scratch);
    (void)acc.on_sample(reply(at, 20.0 + i * 0.5, 30.0 + i * 0.5), health::ok, scratch);
  }
  rollup done;  // a fresh row, as the recorder's is after it moved the last one on
  const std::uint64_t before = allocations.load();
  ASSERT_TRUE(acc.close(done));
  EXPECT_EQ(allocations.load(), before);
  EXPECT_EQ(done.latency.count(rollup_rtt), 60U);
  EXPECT_EQ(done.latency.count(rollup_process), 60U);
  EXPECT_EQ(done.received, 60U);
}

TEST(Rollup, SummaryGivesPercentilesMeansJitterAndMos) {
  minute_accumulator acc;
  rollup done;
  for (int i = 1; i <= 100; ++i) {
    (void)acc.on_sample(reply(t0 + milliseconds(i * 100), i, 2.0 * i), health::ok, done);
  }
  (void)acc.on_sample(outcome(t0 + seconds(30), probe_status::timeout), health::ok, done);
  ASSERT_TRUE(acc.close(done));
  const rollup_summary s = summarize(done);
  EXPECT_NEAR(*s.loss_pct, 100.0 / 101.0, 1e-9);
  EXPECT_DOUBLE_EQ(*s.rtt_min, 1.0);
  EXPECT_DOUBLE_EQ(*s.rtt_max, 100.0);
  EXPECT_DOUBLE_EQ(*s.rtt_mean, 50.5);
  EXPECT_NEAR(*s.rtt_p10, 10.0, 10.0 / 32);
  EXPECT_NEAR(*s.rtt_p50, 50.0, 50.0 / 32);
  EXPECT_NEAR(*s.rtt_p99, 99.0, 99.0 / 32);
  EXPECT_NEAR(*s.process_p95, 190.0, 190.0 / 32);
  EXPECT_DOUBLE_EQ(*s.process_mean, 101.0);
  EXPECT_DOUBLE_EQ(*s.jitter, 1.0);
  ASSERT_TRUE(s.mos);
  EXPECT_GT(*s.mos, 4.0);
  EXPECT_FALSE(summarize(rollup{}).rtt_p50);
  EXPECT_FALSE(summarize(rollup{}).loss_pct);
}

// One busy minute (RTTs of 300 .. 400 ms) in an hour of calm ones (20 .. 22 ms), 60 replies a minute. The hour
// built from merged distributions has 60 of its 3,600 replies above 300 ms, 1.7 %, so its p99 is a busy RTT;
// the mean of the sixty minutes' p99s is a calm value pulled up a little, and hides the congestion.
TEST(Rollup, HourPercentilesComeFromMergedDistributionsNotAveragedOnes) {
  std::vector<rollup> minutes;
  for (int m = 0; m < 60; ++m) {
    minute_accumulator acc;
    rollup done;
    for (int i = 0; i < 60; ++i) {
      const double rtt = m == 42 ? 300.0 + i * (100.0 / 59) : 20.0 + (i % 10) * 0.2;
      (void)acc.on_sample(reply(t0 + seconds(60 * m + i), rtt, rtt + 0.3), health::ok, done);
    }
    ASSERT_TRUE(acc.close(done));
    minutes.push_back(done);
  }
  rollup hour;
  hour.start_s = minutes.front().start_s;
  double p99_sum = 0;
  double p50_sum = 0;
  for (const rollup& m : minutes) {
    merge(hour, m);
    p99_sum += *summarize(m).rtt_p99;
    p50_sum += *summarize(m).rtt_p50;
  }
  const rollup_summary merged = summarize(hour);
  const double averaged_p99 = p99_sum / 60;
  EXPECT_EQ(hour.received, 3600U);
  EXPECT_GT(*merged.rtt_p99, 300.0);  // the busy minute shows
  EXPECT_LT(averaged_p99, 30.0);      // averaging hides it: about 26 ms
  EXPECT_LT(*merged.rtt_p90, 22.0);   // 90 % of the hour was calm, and the merged p90 says so
  EXPECT_LT(*merged.rtt_p50, 22.0);   // the merged median is calm
  EXPECT_GT(p50_sum / 60, 25.0);      // the mean of medians is pulled up by the busy minute's 350 ms
  EXPECT_DOUBLE_EQ(*merged.rtt_max, minutes[42].rtt_max_us / 1000.0);
  // Merging through the stored encoding gives the same distribution.
  sparse_histogram via_bytes;
  for (const rollup& m : minutes) {
    std::vector<std::uint8_t> blob;
    encode_histogram(m.latency, blob);
    ASSERT_TRUE(decode_histogram_into(blob, via_bytes));
  }
  EXPECT_EQ(via_bytes.percentile(rollup_rtt, 99), hour.latency.percentile(rollup_rtt, 99));
}

TEST(Rollup, MergeTakesTheWorseStatusAndMinMax) {
  rollup a;
  a.received = 1;
  a.rtt_n = 1;
  a.rtt_min_us = a.rtt_max_us = 500;
  a.worst = health::warn;
  a.verdict = "local";
  rollup b;
  b.rtt_n = 2;
  b.rtt_min_us = 100;
  b.rtt_max_us = 900;
  b.worst = health::bad;
  b.verdict = "isp";
  rollup into;
  merge(into, a);
  merge(into, b);
  merge(into, rollup{});
  EXPECT_EQ(into.rtt_min_us, 100U);
  EXPECT_EQ(into.rtt_max_us, 900U);
  EXPECT_EQ(into.rtt_n, 3U);
  EXPECT_EQ(into.worst, health::bad);
  EXPECT_EQ(into.verdict, "isp");
}

TEST(Rollup, MinuteOfFloorsToTheMinute) {
  EXPECT_EQ(minute_of(t0 + milliseconds(59'999)), t0.count() / 1'000'000'000);
  EXPECT_EQ(minute_of(wall_time{-1}), -60);
  EXPECT_EQ(minute_of(wall_time{0}), 0);
}

}  // namespace
}  // namespace netstab::core
