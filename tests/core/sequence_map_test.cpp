#include "core/sequence_map.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

using namespace std::chrono_literals;
using netstab::core::match_result;
using netstab::core::mono_time;
using netstab::core::nanos;
using netstab::core::probe_record;
using netstab::core::probe_state;
using netstab::core::sequence_map;
using netstab::core::wall_time;

namespace {
mono_time at(std::chrono::milliseconds ms) { return std::chrono::duration_cast<nanos>(ms); }
}  // namespace

TEST(SequenceMap, MatchesReplyToOutstandingProbe) {
  sequence_map m(8);
  const auto s = m.on_sent(at(0ms), 1000ms, wall_time{5}, nullptr);
  EXPECT_EQ(s, 0u);
  probe_record r;
  EXPECT_EQ(m.on_reply(s, &r), match_result::ok);
  EXPECT_EQ(r.sent_at, at(0ms));
  EXPECT_EQ(r.user_tx, wall_time{5});
  EXPECT_EQ(m.outstanding(), 0u);
}

TEST(SequenceMap, CountsSecondReplyAsDuplicate) {
  sequence_map m(8);
  const auto s = m.on_sent(at(0ms), 1000ms, wall_time{}, nullptr);
  EXPECT_EQ(m.on_reply(s), match_result::ok);
  EXPECT_EQ(m.on_reply(s), match_result::duplicate);
  EXPECT_EQ(m.on_reply(s), match_result::duplicate);
}

TEST(SequenceMap, DropsReplyAfterTimeoutAsLate) {
  sequence_map m(8);
  const auto s = m.on_sent(at(0ms), 1000ms, wall_time{}, nullptr);
  std::vector<std::uint32_t> timed_out;
  m.expire(at(999ms), [&](const probe_record& r) { timed_out.push_back(r.seq); });
  EXPECT_TRUE(timed_out.empty());
  m.expire(at(1000ms), [&](const probe_record& r) { timed_out.push_back(r.seq); });
  ASSERT_EQ(timed_out.size(), 1u);
  EXPECT_EQ(m.on_reply(s), match_result::late);
  EXPECT_EQ(m.on_reply(s), match_result::duplicate);
}

TEST(SequenceMap, ExpiresInOrderAndReportsNextDeadline) {
  sequence_map m(8);
  m.on_sent(at(0ms), 1000ms, wall_time{}, nullptr);
  m.on_sent(at(100ms), 1000ms, wall_time{}, nullptr);
  m.on_sent(at(200ms), 1000ms, wall_time{}, nullptr);
  EXPECT_EQ(m.on_reply(1), match_result::ok);
  EXPECT_EQ(m.next_deadline(), at(1000ms));
  std::vector<std::uint32_t> timed_out;
  m.expire(at(1250ms), [&](const probe_record& r) { timed_out.push_back(r.seq); });
  EXPECT_EQ(timed_out, (std::vector<std::uint32_t>{0, 2}));
  EXPECT_FALSE(m.next_deadline().has_value());
}

TEST(SequenceMap, ForeignAndFutureSequencesAreStale) {
  sequence_map m(4);
  EXPECT_EQ(m.on_reply(0), match_result::stale);  // nothing sent yet
  m.on_sent(at(0ms), 1000ms, wall_time{}, nullptr);
  EXPECT_EQ(m.on_reply(1), match_result::stale);  // not sent yet
  EXPECT_EQ(m.on_reply(77), match_result::stale);
  EXPECT_EQ(m.on_reply(0xFFFFFFFFu), match_result::stale);
}

TEST(SequenceMap, ForgetsProbesOlderThanTheRing) {
  sequence_map m(4);
  for (int i = 0; i < 10; ++i) {
    const auto s = m.on_sent(at(std::chrono::milliseconds(i * 10)), 1000ms, wall_time{}, nullptr);
    EXPECT_EQ(m.on_reply(s), match_result::ok);
  }
  EXPECT_EQ(m.on_reply(5), match_result::stale);
  EXPECT_EQ(m.on_reply(6), match_result::duplicate);
}

TEST(SequenceMap, WrapsPast16And32Bits) {
  sequence_map m(8);
  // Drive the sequence through 65535 -> 65536 and count that matching still works.
  for (std::uint32_t i = 0; i < 70000; ++i) {
    const auto s = m.on_sent(at(std::chrono::milliseconds(i)), 1000ms, wall_time{}, nullptr);
    ASSERT_EQ(s, i);
    ASSERT_EQ(m.on_reply(s), match_result::ok) << i;
  }
  EXPECT_EQ(m.on_reply(65535), match_result::stale);
}

TEST(SequenceMap, WrapsPast32Bits) {
  sequence_map m(8);
  // Start just below 2^32 by sending and answering; the ring arithmetic is modular.
  // (Reaching 2^32 by sending would take too long, so test the modular age check directly.)
  for (int i = 0; i < 3; ++i) m.on_sent(at(0ms), 1000ms, wall_time{}, nullptr);
  EXPECT_EQ(m.on_reply(0xFFFFFFFEu), match_result::stale);
  EXPECT_EQ(m.on_reply(2), match_result::ok);
}

TEST(SequenceMap, ResolveStopsTimeout) {
  sequence_map m(8);
  const auto s = m.on_sent(at(0ms), 1000ms, wall_time{}, nullptr);
  EXPECT_TRUE(m.resolve(s));
  EXPECT_FALSE(m.resolve(s));
  int n = 0;
  m.expire(at(5000ms), [&](const probe_record&) { ++n; });
  EXPECT_EQ(n, 0);
}

TEST(SequenceMap, EvictsOutstandingProbeWhenRingTooSmall) {
  sequence_map m(2);
  m.on_sent(at(0ms), 10000ms, wall_time{}, nullptr);
  m.on_sent(at(1ms), 10000ms, wall_time{}, nullptr);
  std::optional<probe_record> ev;
  m.on_sent(at(2ms), 10000ms, wall_time{}, &ev);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->seq, 0u);
}

TEST(SequenceMap, KeepsKernelTransmitTimestamp) {
  sequence_map m(8);
  const auto s = m.on_sent(at(0ms), 1000ms, wall_time{100}, nullptr);
  m.set_kernel_tx(s, wall_time{150});
  probe_record r;
  ASSERT_EQ(m.on_reply(s, &r), match_result::ok);
  ASSERT_TRUE(r.kernel_tx.has_value());
  EXPECT_EQ(*r.kernel_tx, wall_time{150});
}

TEST(SequenceMap, ResizeKeepsRecentRecords) {
  sequence_map m(4);
  for (int i = 0; i < 4; ++i) m.on_sent(at(std::chrono::milliseconds(i)), 1000ms, wall_time{}, nullptr);
  m.resize(16);
  EXPECT_EQ(m.capacity(), 16u);
  EXPECT_EQ(m.outstanding(), 4u);
  EXPECT_EQ(m.on_reply(3), match_result::ok);
  m.resize(2);
  EXPECT_EQ(m.on_reply(2), match_result::ok);
  EXPECT_EQ(m.on_reply(0), match_result::stale);
}

TEST(SequenceMap, CapacityCoversTimeoutAndGrace) {
  // 1 s interval, 1 s timeout, 2 s grace: 3 probes in the window + 2 -> 8.
  EXPECT_EQ(sequence_map::capacity_for(1000ms, 1000ms, 2000ms), 8u);
  EXPECT_EQ(sequence_map::capacity_for(10ms, 1000ms, 1000ms), 256u);
  // The configuration's extremes (1 ms interval, 60 s timeout) with the prober's 5 s grace: 65,002 -> 65,536.
  EXPECT_EQ(sequence_map::capacity_for(1ms, 60000ms, 5000ms), 65536u);
  EXPECT_EQ(sequence_map::capacity_for(1ms, 60000ms, 60000ms), sequence_map::max_capacity);
}

// At the smallest interval with the longest timeout, every probe of a silent target stays outstanding until
// its own deadline: none is evicted early as a timeout (as the former 4,096-slot cap did after 4.1 s at 1 ms),
// a reply just before the deadline still matches, and the timeouts come one per interval, oldest first.
TEST(SequenceMap, OneMillisecondIntervalKeepsSixtySecondsOfProbes) {
  sequence_map m(sequence_map::capacity_for(1ms, 60000ms, 5000ms));
  constexpr std::uint32_t in_flight = 60000;
  for (std::uint32_t i = 0; i < in_flight; ++i) {
    std::optional<probe_record> evicted;
    m.on_sent(at(std::chrono::milliseconds(i)), 60000ms, wall_time{}, &evicted);
    ASSERT_FALSE(evicted.has_value()) << "probe " << evicted->seq << " evicted when sending " << i;
  }
  EXPECT_EQ(m.outstanding(), in_flight);
  EXPECT_EQ(m.next_deadline(), at(60000ms));
  probe_record r;
  ASSERT_EQ(m.on_reply(1, &r), match_result::ok);  // 59.999 s after it was sent: still in time
  EXPECT_EQ(r.sent_at, at(1ms));
  std::vector<std::uint32_t> timed_out;
  m.expire(at(60002ms), [&](const probe_record& t) { timed_out.push_back(t.seq); });
  EXPECT_EQ(timed_out, (std::vector<std::uint32_t>{0, 2}));
  EXPECT_EQ(m.outstanding(), in_flight - 3);
  EXPECT_EQ(m.next_deadline(), at(60003ms));
}

// The outstanding count and the next deadline follow every transition (answer, resolve, timeout, eviction,
// forget, resize); they are kept incrementally, so this checks them against what was done.
TEST(SequenceMap, OutstandingAndNextDeadlineFollowEveryTransition) {
  sequence_map m(4);
  for (int i = 0; i < 4; ++i) m.on_sent(at(std::chrono::milliseconds(i * 10)), 100ms, wall_time{}, nullptr);
  EXPECT_EQ(m.outstanding(), 4u);
  EXPECT_EQ(m.on_reply(0), match_result::ok);
  EXPECT_TRUE(m.resolve(1));
  EXPECT_EQ(m.outstanding(), 2u);
  EXPECT_EQ(m.next_deadline(), at(120ms));  // probe 2's
  EXPECT_EQ(m.on_reply(3), match_result::ok);
  EXPECT_EQ(m.next_deadline(), at(120ms));
  EXPECT_EQ(m.outstanding(), 1u);
  // Sending into the full ring overwrites resolved slots only: nothing is evicted while probe 2 is the oldest.
  std::optional<probe_record> evicted;
  m.on_sent(at(40ms), 100ms, wall_time{}, &evicted);  // seq 4, slot of 0
  m.on_sent(at(50ms), 100ms, wall_time{}, &evicted);  // seq 5, slot of 1
  EXPECT_FALSE(evicted.has_value());
  m.on_sent(at(60ms), 100ms, wall_time{}, &evicted);  // seq 6, slot of 2: evicts it
  ASSERT_TRUE(evicted.has_value());
  EXPECT_EQ(evicted->seq, 2u);
  EXPECT_EQ(m.outstanding(), 3u);           // 4, 5, 6
  EXPECT_EQ(m.next_deadline(), at(140ms));  // probe 4's
  int expired = 0;
  m.expire(at(150ms), [&](const probe_record&) { ++expired; });
  EXPECT_EQ(expired, 2);
  EXPECT_EQ(m.outstanding(), 1u);
  EXPECT_EQ(m.next_deadline(), at(160ms));
  m.resize(16);
  EXPECT_EQ(m.outstanding(), 1u);
  EXPECT_EQ(m.next_deadline(), at(160ms));
  m.on_sent(at(70ms), 100ms, wall_time{}, nullptr);
  m.resize(2);  // keeps 6 and 7
  EXPECT_EQ(m.outstanding(), 2u);
  m.resize(1);  // rounded up to 2: the same
  EXPECT_EQ(m.outstanding(), 2u);
  m.forget_outstanding();
  EXPECT_EQ(m.outstanding(), 0u);
  EXPECT_FALSE(m.next_deadline().has_value());
}

TEST(SequenceMap, ExpireSurvivesACallbackThatForgetsEverything) {
  // The prober stops (and forgets every probe) from inside a timeout callback
  // when --count is reached; the expiry loop must end, not run past next_seq.
  sequence_map m(8);
  m.on_sent(at(0ms), 100ms, wall_time{}, nullptr);
  m.on_sent(at(10ms), 100ms, wall_time{}, nullptr);
  int calls = 0;
  m.expire(at(500ms), [&](const probe_record&) {
    ++calls;
    m.forget_outstanding();
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(m.outstanding(), 0u);
  EXPECT_FALSE(m.next_deadline().has_value());
}
