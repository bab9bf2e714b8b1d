#pragma once
// The path payload of the MQTT contract (`.../targets/<slug>/path`, retained) and of the stdout --json mode
// ({"type":"path",...}): a target's path with every hop's windowed statistics and the target's verdict.
//
// {"target","address","ts","traced_at"|null,"hops":[{"ttl","address"|null,"segment","sent","lost","loss_pct",
//  "rtt_ms":{"p50","p95"},"rate_limited"}],"fault":{...}}
// Hops in TTL order, the target itself the last; before the first trace ends, traced_at is null and hops is
// empty. "sent" counts the probes resolved in the window (answered or lost), so that lost <= sent and
// loss_pct = lost / sent.
//
// Appends in the style of core/payloads.hpp (no allocation with a warm buffer beyond the address texts). Pure;
// any thread.
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/path_verdict.hpp"
#include "core/time.hpp"
#include "core/verdict.hpp"

namespace netstab::core {

void append_path_json(std::string& out, std::string_view target, std::string_view address, wall_time ts,
                      std::optional<wall_time> traced_at, std::span<const hop_row> hops, const fault& f,
                      std::string_view type_field = {});

}  // namespace netstab::core
