#pragma once
// Wall-clock times as text: RFC 3339 in UTC for output, and the forms a person or a script types for a range
// ("2026-12-01T00:00:00Z", "2026-12-01T01:00:00+01:00", "2026-12-01", "now", "-24h", Unix seconds).
// Pure functions (the caller passes `now`); any thread.
#include <cstdint>
#include <string>
#include <string_view>

#include <optional>

#include "core/result.hpp"
#include "core/time.hpp"

namespace netstab::core {

// "2026-12-01T00:00:00Z"; with digits > 0 that many fractional digits (1 .. 9), truncated.
std::string format_rfc3339(wall_time t, int digits = 0);

// Accepts:
//  - RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM) ('t', 'z' and a space for 'T' too);
//  - a date YYYY-MM-DD (midnight UTC);
//  - "now";
//  - a time relative to now: -N followed by s, m, h, d or w ("-24h", "-7d");
//  - Unix seconds, a plain non-negative integer.
// Years 1970 .. 2261 (what nanoseconds since 1970 hold in 64 bits). The error says which form was expected.
result<wall_time> parse_timestamp(std::string_view text, wall_time now);

// Seconds in one of the duration units s, m, h, d, w (relative times and history steps); nothing otherwise.
std::optional<std::int64_t> unit_seconds(char unit);

// Days since 1970-01-01 of a civil date (proleptic Gregorian), and back.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);
void civil_from_days(std::int64_t days, std::int64_t& y, unsigned& m, unsigned& d);

}  // namespace netstab::core
