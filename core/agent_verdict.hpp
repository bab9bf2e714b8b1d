#pragma once
// The agent's own verdict: several targets degrading together point at the segment they share.
//
// Input: every target's reported fault (from its fault_tracker, so each is already confirmed and held).
// - No target degraded: ok.
// - One target in all: that target's fault, as it is.
// - Exactly one of several degraded: ok, with the reason naming it ("1 of 4 targets degraded: example.org (loss
//   8.0% at the target (203.0.113.7)); the others are fine"). The paths the others share with it are clean, so
//   nothing this agent's operator owns or buys is at fault; the target's own verdict says where it is.
// - Two or more degraded: they are grouped by what they share. host faults share the host; lan and isp faults
//   share their segment only when they blame the same hop address; upstream faults share the segment; remote
//   and unknown faults share nothing. The largest group of at least two names the agent's fault (a tie goes to
//   the segment nearer the agent: host, lan, isp, upstream): "3 of 4 targets lose packets from hop 2
//   (100.64.1.1, ISP)". Its hop, address and metric are the group's when they all agree; its level and value
//   are the group's highest; its since the group's earliest.
// - Two or more degraded with no such group: unknown, "2 of 4 targets degraded in different places", with each
//   one's place in the context.
//
// Feed the result to the agent's own fault_tracker. Its inputs are already confirmed and held by the targets'
// trackers, so confirm_after = 1 and clear_after = 1 there add no delay of their own; the since of the inputs
// is kept (fault_tracker keeps a raw fault's since when it is earlier than its own first evaluation).
//
// Pure function; any thread.
#include <cstddef>
#include <span>
#include <string_view>

#include "core/verdict.hpp"

namespace netstab::core {

struct target_fault {
  std::string_view target;   // the target's name, as in topics and payloads
  const fault* f = nullptr;  // its reported fault; never null
};

fault agent_verdict(std::span<const target_fault> targets);
// The same from part of the targets and the number of targets in all (at least some.size()): the targets left
// out must be ok. A caller that keeps its degraded targets apart passes only those, so an evaluation costs the
// degraded targets instead of every target.
fault agent_verdict(std::span<const target_fault> some, std::size_t total);

}  // namespace netstab::core
