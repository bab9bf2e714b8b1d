#include "core/event.hpp"

#include <gtest/gtest.h>

namespace netstab::core {
namespace {

constexpr wall_time now{1'700'000'000'000'000'000};

TEST(Event, MonitorEventsMapToTheirContractEvents) {
  monitor_event status{monitor_event::kind::status_change, health::ok, health::bad, "loss 7.5% > 5%", {}};
  const event s = to_event("1.1.1.1", status, now);
  EXPECT_EQ(s.type, event_type::status_change);
  EXPECT_EQ(s.target, "1.1.1.1");
  EXPECT_EQ(s.from, "OK");
  EXPECT_EQ(s.to, "BAD");
  EXPECT_EQ(s.reason, "loss 7.5% > 5%");
  EXPECT_EQ(s.ts, now);

  incident inc;
  inc.id = 3;
  inc.reason = "4 consecutive timeouts";
  const event start = to_event("t", monitor_event{monitor_event::kind::incident_start, {}, {}, "", inc}, now);
  EXPECT_EQ(start.type, event_type::incident_start);
  ASSERT_TRUE(start.inc);
  EXPECT_EQ(start.inc->id, 3U);
  EXPECT_EQ(to_event("t", monitor_event{monitor_event::kind::incident_end, {}, {}, "", inc}, now).type,
            event_type::incident_end);
}

TEST(Event, TargetEventsMapToTheirContractEventsAndResolvedToNone) {
  struct row {
    target_event what;
    event_type type;
  };
  const row rows[] = {
      {target_event::added, event_type::target_added},
      {target_event::removed, event_type::target_removed},
      {target_event::resolve_failed, event_type::resolve_failed},
      {target_event::address_changed, event_type::address_changed},
  };
  for (const auto& r : rows) {
    const auto e = to_event("example.org", r.what, "detail", "192.0.2.7", now);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type, r.type);
    EXPECT_EQ(e->target, "example.org");
  }
  EXPECT_EQ(to_event("h", target_event::resolve_failed, "name does not resolve", "", now)->error,
            "name does not resolve");
  const auto changed = to_event("h", target_event::address_changed, "192.0.2.1", "192.0.2.2", now);
  EXPECT_EQ(changed->from, "192.0.2.1");
  EXPECT_EQ(changed->to, "192.0.2.2");
  EXPECT_FALSE(to_event("h", target_event::resolved, "192.0.2.1", "192.0.2.1", now));
  EXPECT_EQ(to_string(event_type::reload_failed), "reload_failed");
}

}  // namespace
}  // namespace netstab::core
