#pragma once
// The formatting primitives of the hot JSON builders (core/payloads.hpp): strings escaped for JSON (and safe to
// paste into HTML), fixed-decimal numbers, integers and RFC 3339 times appended to a caller's buffer without
// allocating when it has room. Pure; callable from any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace netstab::core {

// Appends `s` as a JSON string literal with quotes: escapes '"', '\\', control
// characters, DEL and '<', '>', '&' (as \u00XX, so a payload pasted into HTML
// can't open a tag); invalid UTF-8 bytes become U+FFFD.
void append_json_string(std::string& out, std::string_view s);
// Appends a number with `decimals` fixed decimals ("12.300"); null when not finite.
void append_fixed(std::string& out, double v, int decimals = 3);
// The same, or null when there is no value.
void append_opt_fixed(std::string& out, const std::optional<double>& v, int decimals = 3);
void append_uint(std::string& out, std::uint64_t v);
void append_int(std::string& out, std::int64_t v);
// RFC 3339 UTC with milliseconds: "2026-11-25T17:00:00.123Z" (truncated, not rounded).
void append_rfc3339(std::string& out, wall_time t);
std::string rfc3339(wall_time t);

// Sets `to` to `from` with its capacity at most 2 * room bytes beyond the length (or a short string's inline
// capacity, whichever is more). A string kept for long whose length wobbles by a few bytes (a cached payload)
// would otherwise grow to twice its length on its first growth, as assign() doubles the capacity; it is
// reallocated, with `room` bytes to spare, only when it does not fit or when it holds more than that. The
// digest's entries are such strings, one per target.
void assign_fitted(std::string& to, std::string_view from, std::size_t room);

}  // namespace netstab::core
