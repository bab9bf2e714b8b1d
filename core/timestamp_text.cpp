#include "core/timestamp_text.hpp"

#include <charconv>
#include <cstdio>

namespace netstab::core {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;
// Nanoseconds since 1970 in 64 bits reach into April 2262.
constexpr unsigned max_year = 2261;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) {
    --q;
  }
  return q;
}

// '"text"'. Built by appending: GCC 12 at -O3 warns (-Wrestrict, a false positive) on "\"" + std::string(...).
std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  out += text;
  out += '"';
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly n digits at pos.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) {
    return false;
  }
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_digit(s[pos + i])) {
      return false;
    }
    out = out * 10 + static_cast<unsigned>(s[pos + i] - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

result<wall_time> relative(std::string_view text, wall_time now) {
  std::int64_t n = 0;
  const char* first = text.data() + 1;
  const char* last = text.data() + text.size() - 1;
  const auto [ptr, ec] = std::from_chars(first, last, n);
  if (ec != std::errc{} || ptr != last || n < 0 || n > 100LL * 366 * 86400) {
    return error{quoted(text) + " is not a relative time: expected -N followed by s, m, h, d or w"};
  }
  const auto seconds = unit_seconds(text.back());
  if (!seconds) {
    return error{quoted(text) + ": the unit of a relative time is s, m, h, d or w"};
  }
  const std::int64_t unit = *seconds;
  if (n > 100LL * 366 * 86400 / unit) {
    return error{quoted(text) + " reaches back more than 100 years"};
  }
  return now - nanos{n * unit * ns_per_s};
}

result<wall_time> rfc3339(std::string_view s) {
  const auto bad = [&](const char* what) {
    return error{quoted(s) + " is not a time: " + what +
                 " (expected RFC 3339 like 2026-12-01T00:00:00Z, a date, now, -24h or Unix seconds)"};
  };
  std::size_t pos = 0;
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, pos, 4, y) || !expect(s, pos, '-') || !digits(s, pos, 2, mo) || !expect(s, pos, '-') ||
      !digits(s, pos, 2, d)) {
    return bad("no date YYYY-MM-DD");
  }
  if (y < 1970 || y > max_year || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
    return bad("the date is out of range (years 1970 .. 2261)");
  }
  std::int64_t offset_s = 0;
  std::int64_t frac_ns = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return bad("the time must follow a 'T'");
    ++pos;
    if (!digits(s, pos, 2, h) || !expect(s, pos, ':') || !digits(s, pos, 2, mi) || !expect(s, pos, ':') ||
        !digits(s, pos, 2, sec)) {
      return bad("no time HH:MM:SS");
    }
    if (h > 23 || mi > 59 || sec > 60) return bad("the time is out of range");
    if (sec == 60) sec = 59;  // a leap second is taken as the second before it
    if (expect(s, pos, '.')) {
      std::int64_t scale = ns_per_s / 10;
      const std::size_t start = pos;
      for (; pos < s.size() && is_digit(s[pos]); ++pos) {
        frac_ns += (s[pos] - '0') * scale;
        scale /= 10;
      }
      if (pos == start) return bad("no digits after '.'");
    }
    if (expect(s, pos, 'Z') || expect(s, pos, 'z')) {
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
      const bool minus = s[pos++] == '-';
      unsigned oh = 0, om = 0;
      if (!digits(s, pos, 2, oh) || !expect(s, pos, ':') || !digits(s, pos, 2, om) || oh > 23 || om > 59) {
        return bad("bad offset, expected +HH:MM");
      }
      offset_s = (minus ? -1 : 1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
    } else {
      return bad("the time needs a zone: Z or +HH:MM");
    }
    if (pos != s.size()) return bad("unexpected text after the time");
  }
  const std::int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  return wall_time{secs * ns_per_s + frac_ns};
}

}  // namespace

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(y, 400);
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = floor_div(z, 146097);
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

std::string format_rfc3339(wall_time t, int digits_wanted) {
  const std::int64_t secs = floor_div(t.count(), ns_per_s);
  const std::int64_t frac = t.count() - secs * ns_per_s;
  const std::int64_t days = floor_div(secs, 86400);
  const std::int64_t in_day = secs - days * 86400;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", static_cast<long long>(y), m, d,
                        static_cast<long long>(in_day / 3600), static_cast<long long>(in_day % 3600 / 60),
                        static_cast<long long>(in_day % 60));
  std::string out(buf, static_cast<std::size_t>(n));
  if (digits_wanted > 0) {
    const int dg = digits_wanted > 9 ? 9 : digits_wanted;
    std::int64_t div = 1;
    for (int i = dg; i < 9; ++i) div *= 10;
    n = std::snprintf(buf, sizeof buf, ".%0*lld", dg, static_cast<long long>(frac / div));
    out.append(buf, static_cast<std::size_t>(n));
  }
  out += 'Z';
  return out;
}

result<wall_time> parse_timestamp(std::string_view text, wall_time now) {
  if (text == "now") {
    return now;
  }
  if (text.size() >= 2 && text.front() == '-') {
    return relative(text, now);
  }
  if (!text.empty() && text.size() <= 12 && text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t secs = 0;
    std::from_chars(text.data(), text.data() + text.size(), secs);
    if (secs >= days_from_civil(max_year + 1, 1, 1) * 86400) {
      return error{quoted(text) + " is beyond the year " + std::to_string(max_year)};
    }
    return wall_time{secs * ns_per_s};
  }
  return rfc3339(text);
}

std::optional<std::int64_t> unit_seconds(char unit) {
  switch (unit) {
    case 's':
      return 1;
    case 'm':
      return 60;
    case 'h':
      return 3600;
    case 'd':
      return 86400;
    case 'w':
      return 7 * 86400;
    default:
      return std::nullopt;
  }
}

}  // namespace netstab::core
