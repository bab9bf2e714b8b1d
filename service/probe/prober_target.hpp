#pragma once
// One target as the prober keeps it; private to the prober's two source files (prober.cpp: targets, life cycle
// and schedule; prober_io.cpp: sockets, sends, replies and samples).
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/path_verdict.hpp"
#include "core/sequence_map.hpp"
#include "core/target_monitor.hpp"
#include "service/probe/prober.hpp"
#include "service/probe/sockaddr.hpp"

namespace netstab::service {

// The token's layout is in prober.hpp: slot (low bits), generation, path bit.
inline constexpr std::uint32_t slot_bits = 20;
inline constexpr std::uint32_t slot_mask = (1U << slot_bits) - 1;
inline constexpr std::uint32_t generation_mask = 0x7ffU;

struct prober::target final : target_view {
  target(const core::target_spec& s, const core::monitor_config& mc,
         std::shared_ptr<const core::target_verdict_config> vc)
      : spec_(s), seqs(2), monitor_(mc), verdict(std::move(vc)) {}
  const core::target_spec& spec() const override { return spec_; }
  const std::string& address() const override { return address_text_; }
  const core::target_monitor& monitor() const override { return monitor_; }
  std::uint64_t sent() const override { return sent_; }
  std::uint32_t slot() const override { return slot_; }
  const core::fault& fault() const override { return verdict.reported(); }
  bool path_on() const override { return path; }
  const std::vector<core::hop_row>& path_rows() const override { return rows; }
  std::optional<core::wall_time> traced_at() const override { return traced; }

  core::target_spec spec_;
  std::string address_text_;         // the address as payloads print it; empty until resolved
  std::optional<sock_address> addr;  // where probes go; set once the address is known
  // The address before the latest change and the first sequence sent to the new one. Probes sent before the
  // change are answered from there, and those replies still count. Allocated only when an address changes.
  struct earlier_address {
    sock_address addr;
    std::uint32_t before_seq = 0;
  };
  std::unique_ptr<earlier_address> moved_from;
  core::icmp::family fam = core::icmp::family::v4;
  send_options send_opt;
  std::uint32_t slot_ = 0;  // the prober's slot: index of slots_, low bits of the token
  std::uint32_t token = 0;
  std::uint32_t order = 0;
  core::sequence_map seqs;
  core::target_monitor monitor_;
  std::uint64_t sent_ = 0;
  bool sending = false;  // a send is scheduled (running, resolved, count not reached)
  core::mono_time next_send{};
  std::optional<core::mono_time> next_resolve;  // host names only
  std::uint64_t resolve_id = 0;                 // in-flight resolution
  core::nanos resolve_backoff{};
  bool faulted = false;  // monitor holds a resolve fault

  std::optional<core::ip_address> ip;  // the address probes go to, as a value
  bool path = false;                   // path monitoring is on (the engine knows it once ip is set)
  core::target_verdict verdict;
  std::vector<core::hop_row> rows;  // the path payload's rows of the latest evaluation
  std::optional<core::wall_time> traced;

  bool literal() const { return spec_.literal.has_value(); }
  // Whether a reply from `from` to probe `seq` comes from where that probe went: the current address, or the
  // previous one for a probe sent before the change.
  bool answered_from(const sockaddr_storage& from, std::uint32_t seq) const {
    if (addr && same_address(*addr, from)) return true;
    return moved_from && same_address(moved_from->addr, from) &&
           static_cast<std::int32_t>(seq - moved_from->before_seq) < 0;
  }
};

}  // namespace netstab::service
