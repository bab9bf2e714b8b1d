#pragma once
// Texts of verdicts: the pieces reasons are made of, and the fault object of the JSON payloads.
//
// Reasons are short and exact so that a person can paste them into an ISP ticket: hop numbers are TTLs, lists
// of hops compress runs into ranges with an en dash ("hops 1–2, 5 clean"), times are UTC and say so.
//
// Pure functions; any thread.
#include <span>
#include <string>
#include <string_view>

#include "core/time.hpp"
#include "core/verdict.hpp"

namespace netstab::core {

// "8.0": one decimal, as every reason prints measured values.
std::string text_fixed1(double v);
// "100", "2.5": a configured threshold in its shortest form (printf %g).
std::string text_short(double v);
// "1–2, 5" for {1, 2, 5}: ascending TTLs, runs of consecutive ones as ranges. Empty for none.
std::string ttl_list(std::span<const unsigned> ttls);
// "hops 1–2 clean" / "hop 1 clean"; empty for none.
std::string clean_phrase(std::span<const unsigned> ttls);
// "hop 4 drops ICMP to itself (rate-limited), not blamed" (loss) or "hops 4, 6 delay ICMP to themselves
// (rate-limited), not blamed" (latency); empty for none.
std::string rate_limited_phrase(std::span<const unsigned> ttls, fault_metric m);
// "no data from hop 4" / "no data from hops 4–5": hops without enough data where a degradation may begin.
std::string no_data_phrase(std::span<const unsigned> ttls);
// "since 21:04 UTC" when since falls on now's UTC day, else "since 2026-11-24 21:04 UTC".
std::string since_phrase(wall_time since, wall_time now);
// headline, then " " + since_phrase when f.since is set, then "; " + context when not empty.
std::string compose_reason(const fault& f, wall_time now);
// Joins two reason parts with "; ", skipping empty ones.
void append_part(std::string& out, std::string_view part);

// {"segment":"isp","metric":"loss","hop":3|null,"address":"100.64.0.1"|null,"since":"<RFC 3339>"|null,
//  "reason":"..."}, appended in the style of core/payloads.hpp (no allocation with a warm buffer beyond the
// address text).
void append_fault_json(std::string& out, const fault& f);

}  // namespace netstab::core
