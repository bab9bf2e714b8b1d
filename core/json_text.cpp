#include "core/json_text.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace netstab::core {
namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";

void append_u00(std::string& out, unsigned char c) {
  out.append("\\u00");
  out.push_back(hex_digits[c >> 4U]);
  out.push_back(hex_digits[c & 0xFU]);
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when the bytes
// there are not valid UTF-8 (overlong forms, surrogates and > U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
  }
  return n;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence_length(s, i);
      if (n == 0) {
        out.append("\\ufffd");
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '<':
      case '>':
      case '&':
      case 0x7F:
        append_u00(out, c);
        break;
      default:
        if (c < 0x20) {
          append_u00(out, c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

namespace {

// Formats |v| * 10^decimals rounded to an integer when that rounding is certain: the product carries a rounding
// error of at most half an ulp, so a fraction within an ulp of one half (a tie, or nearly one) is left to
// to_chars, which rounds the exact binary value. Everything it prints is to_chars's text; it skips to_chars's
// general algorithm for the numbers payloads carry (milliseconds, percentages), which are most of a payload's cost.
bool append_fixed_fast(std::string& out, double v, int decimals) {
  static constexpr std::array<std::uint64_t, 7> powers{1, 10, 100, 1'000, 10'000, 100'000, 1'000'000};
  if (decimals < 0 || decimals >= static_cast<int>(powers.size())) return false;
  const double scaled = std::abs(v) * static_cast<double>(powers[static_cast<std::size_t>(decimals)]);
  if (!(scaled < 0x1p52)) return false;                         // large or not finite
  const auto whole = static_cast<std::uint64_t>(scaled);        // floor: scaled is not negative
  const double fraction = scaled - static_cast<double>(whole);  // exact below 2^52
  if (std::abs(fraction - 0.5) <= std::max(scaled * 0x1p-52, 0x1p-1074)) return false;
  std::uint64_t n = whole + (fraction > 0.5 ? 1U : 0U);
  // Digits from the last: the decimals, the point, the integer part, and the sign ("-0.000" is valid JSON but
  // reads oddly; to_chars's path prints zero without a sign too).
  std::array<char, 32> text{};
  char* p = text.end();
  const bool negative = v < 0 && n != 0;
  for (int i = 0; i < decimals; ++i, n /= 10) *--p = static_cast<char>('0' + n % 10);
  if (decimals > 0) *--p = '.';
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  if (negative) *--p = '-';
  out.append(p, text.end());
  return true;
}

}  // namespace

void append_fixed(std::string& out, double v, int decimals) {
  if (append_fixed_fast(out, v, decimals)) return;
  if (!std::isfinite(v)) {
    out.append("null");
    return;
  }
  std::array<char, 64> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, decimals);
  if (r.ec != std::errc{}) {
    out.append("null");
    return;
  }
  std::string_view text(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
  // "-0.000" is valid JSON but reads oddly; print zero without a sign.
  if (text.front() == '-' && text.find_first_not_of("-0.") == std::string_view::npos) {
    text.remove_prefix(1);
  }
  out.append(text);
}

void append_opt_fixed(std::string& out, const std::optional<double>& v, int decimals) {
  if (v) {
    append_fixed(out, *v, decimals);
  } else {
    out.append("null");
  }
}

void append_uint(std::string& out, std::uint64_t v) {
  std::array<char, 24> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
}

void append_int(std::string& out, std::int64_t v) {
  std::array<char, 24> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
}

void append_rfc3339(std::string& out, wall_time t) {
  // Floor division so that times before 1970 still print a valid calendar date.
  const std::int64_t total_ms = std::chrono::floor<std::chrono::milliseconds>(t).count();
  std::int64_t days = total_ms >= 0 ? total_ms / 86'400'000 : -((-total_ms + 86'399'999) / 86'400'000);
  const std::int64_t ms_of_day = total_ms - days * 86'400'000;
  // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil inverse).
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t year = yoe + era * 400;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  if (month <= 2) ++year;

  std::array<char, 32> buf{};
  auto put = [&buf](std::size_t pos, std::int64_t v, std::size_t width) {
    for (std::size_t k = 0; k < width; ++k) {
      buf[pos + width - 1 - k] = static_cast<char>('0' + static_cast<int>(v % 10));
      v /= 10;
    }
  };
  if (year < 0 || year > 9999) year = year < 0 ? 0 : 9999;
  put(0, year, 4);
  buf[4] = '-';
  put(5, month, 2);
  buf[7] = '-';
  put(8, day, 2);
  buf[10] = 'T';
  put(11, ms_of_day / 3'600'000, 2);
  buf[13] = ':';
  put(14, (ms_of_day / 60'000) % 60, 2);
  buf[16] = ':';
  put(17, (ms_of_day / 1000) % 60, 2);
  buf[19] = '.';
  put(20, ms_of_day % 1000, 3);
  buf[23] = 'Z';
  out.append(buf.data(), 24);
}

std::string rfc3339(wall_time t) {
  std::string s;
  append_rfc3339(s, t);
  return s;
}

void assign_fitted(std::string& to, std::string_view from, std::size_t room) {
  if (from.size() > to.capacity() || to.capacity() - from.size() > 2 * room) {
    std::string fitted;
    fitted.reserve(from.size() + room);
    fitted.assign(from);
    to.swap(fitted);
    return;
  }
  to.assign(from);
}

}  // namespace netstab::core
