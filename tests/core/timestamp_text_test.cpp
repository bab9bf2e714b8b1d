#include "core/timestamp_text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace netstab::core {
namespace {

constexpr std::int64_t s = 1'000'000'000;
const wall_time now{1'764'547'200 * s + 250'000'000};  // 2025-12-01T00:00:00.25Z

TEST(TimestampText, ParsesEveryAcceptedForm) {
  struct row {
    const char* text;
    std::int64_t ns;
  };
  const std::vector<row> rows = {
      {"2026-12-01T00:00:00Z", 1'796'083'200 * s},
      {"2026-12-01t00:00:00z", 1'796'083'200 * s},
      {"2026-12-01 00:00:00Z", 1'796'083'200 * s},
      {"2026-12-01T01:30:00+01:30", 1'796'083'200 * s},
      {"2026-11-30T23:00:00-01:00", 1'796'083'200 * s},
      {"2026-12-01T00:00:00.5Z", 1'796'083'200 * s + 500'000'000},
      {"2026-12-01T00:00:00.123456789Z", 1'796'083'200 * s + 123'456'789},
      {"2024-02-29", 1'709'164'800 * s},
      {"1970-01-01T00:00:00Z", 0},
      {"2016-12-31T23:59:60Z", 1'483'228'799 * s},
      {"now", now.count()},
      {"-24h", now.count() - 86400 * s},
      {"-90m", now.count() - 5400 * s},
      {"-30s", now.count() - 30 * s},
      {"-7d", now.count() - 7 * 86400 * s},
      {"-2w", now.count() - 14 * 86400 * s},
      {"1796083200", 1'796'083'200 * s},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.text);
    const auto t = parse_timestamp(r.text, now);
    ASSERT_TRUE(t) << t.message();
    EXPECT_EQ(t->count(), r.ns);
  }
}

TEST(TimestampText, RefusesWhatIsNotATime) {
  for (const char* text : {"",
                           "yesterday",
                           "2026-13-01",
                           "2026-02-30",
                           "2023-02-29",
                           "1969-12-31",
                           "2262-01-01",
                           "2026-12-01T",
                           "2026-12-01T24:00:00Z",
                           "2026-12-01T00:00:00",
                           "2026-12-01T00:00:00+1",
                           "2026-12-01T00:00Z",
                           "2026-12-01T00:00:00.Z",
                           "2026-12-01T00:00:00Zjunk",
                           "-",
                           "-24",
                           "-24x",
                           "--24h",
                           "-h",
                           "-99999999999d",
                           "9999999999"}) {
    SCOPED_TRACE(text);
    const auto t = parse_timestamp(text, now);
    EXPECT_FALSE(t);
    EXPECT_FALSE(t.message().empty());
  }
}

TEST(TimestampText, FormatsRfc3339InUtc) {
  EXPECT_EQ(format_rfc3339(wall_time{1'796'083'200 * s}), "2026-12-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(wall_time{1'796'083'200 * s + 123'456'789}, 3), "2026-12-01T00:00:00.123Z");
  EXPECT_EQ(format_rfc3339(wall_time{1'796'083'200 * s + 123'456'789}, 6), "2026-12-01T00:00:00.123456Z");
  EXPECT_EQ(format_rfc3339(wall_time{0}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(wall_time{-1}, 3), "1969-12-31T23:59:59.999Z");
}

TEST(TimestampText, CivilDatesRoundTrip) {
  for (std::int64_t d = -800'000; d < 3'000'000; d += 97) {
    std::int64_t y = 0;
    unsigned m = 0, day = 0;
    civil_from_days(d, y, m, day);
    ASSERT_EQ(days_from_civil(y, m, day), d);
  }
  for (std::int64_t t = 0; t < 289LL * 366 * 86400; t += 86400 * 13 + 3607) {
    const wall_time w{t * s};
    const auto back = parse_timestamp(format_rfc3339(w), now);
    ASSERT_TRUE(back) << back.message();
    ASSERT_EQ(*back, w);
  }
}

}  // namespace
}  // namespace netstab::core
