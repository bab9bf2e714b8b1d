#include "core/hop_table.hpp"

#include <algorithm>
#include <limits>

#include "core/scheduler.hpp"

namespace netstab::core {

namespace {

std::uint32_t to_us(nanos d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(us, 0, std::numeric_limits<std::uint32_t>::max()));
}

}  // namespace

hop_table::hop::hop(const ip_address& a, const hop_table_config& cfg, mono_time first)
    : address(a), window(cfg.window, cfg.buckets), next_probe(first) {}

void hop_table::add_route(const ip_address& address, hop_route r, mono_time now) {
  auto it = hops_.find(address);
  if (it == hops_.end()) {
    const mono_time first = now + stagger_offset(added_++, cfg_.interval);
    it = hops_.emplace(address, hop(address, cfg_, first)).first;
  }
  auto& routes = it->second.routes;
  if (std::find(routes.begin(), routes.end(), r) == routes.end()) routes.push_back(r);
}

void hop_table::remove_target(std::uint32_t target) {
  for (auto it = hops_.begin(); it != hops_.end();) {
    auto& routes = it->second.routes;
    std::erase_if(routes, [&](const hop_route& r) { return r.target == target; });
    if (routes.empty()) {
      it = hops_.erase(it);
    } else {
      it->second.turn %= routes.size();
      ++it;
    }
  }
}

void hop_table::set_routes(std::uint32_t target, const std::vector<std::pair<ip_address, unsigned>>& routes,
                           mono_time now) {
  for (auto it = hops_.begin(); it != hops_.end();) {
    auto& list = it->second.routes;
    std::erase_if(list, [&](const hop_route& r) {
      if (r.target != target) return false;
      return std::find(routes.begin(), routes.end(), std::make_pair(it->first, r.ttl)) == routes.end();
    });
    if (list.empty()) {
      it = hops_.erase(it);
    } else {
      it->second.turn %= list.size();
      ++it;
    }
  }
  for (const auto& [address, ttl] : routes) add_route(address, hop_route{target, ttl}, now);
}

hop_table::hop* hop_table::find(const ip_address& address) {
  auto it = hops_.find(address);
  return it == hops_.end() ? nullptr : &it->second;
}

const hop_table::hop* hop_table::find(const ip_address& address) const {
  auto it = hops_.find(address);
  return it == hops_.end() ? nullptr : &it->second;
}

hop_table::hop* hop_table::due(mono_time now) {
  hop* best = nullptr;
  for (auto& [address, h] : hops_) {
    if (h.next_probe <= now && (best == nullptr || h.next_probe < best->next_probe)) best = &h;
  }
  return best;
}

std::optional<mono_time> hop_table::next_due() const {
  std::optional<mono_time> next;
  for (const auto& [address, h] : hops_) {
    if (!next || h.next_probe < *next) next = h.next_probe;
  }
  return next;
}

hop_route hop_table::on_probe(hop& h, mono_time now) {
  const hop_route r = h.routes.at(h.turn % h.routes.size());
  h.turn = (h.turn + 1) % h.routes.size();
  h.next_probe = now + cfg_.interval;
  h.deferred = false;
  return r;
}

void hop_table::on_reply(const ip_address& address, mono_time sent_at, mono_time at, nanos rtt) {
  hop* h = find(address);
  if (h == nullptr) return;
  const std::uint32_t us = to_us(rtt);
  std::optional<std::uint32_t> ipdv;
  if (h->last_rtt_us) ipdv = us > *h->last_rtt_us ? us - *h->last_rtt_us : *h->last_rtt_us - us;
  h->last_rtt_us = us;
  h->window.on_sent(sent_at);
  h->window.on_received(at, us, std::nullopt, ipdv);
}

void hop_table::on_lost(const ip_address& address, mono_time sent_at, mono_time at) {
  hop* h = find(address);
  if (h == nullptr) return;
  h->window.on_sent(sent_at);
  h->window.on_lost(at, true);
}

stats_snapshot hop_table::snapshot(const hop& h, mono_time now) const {
  stats_snapshot s;
  h.window.fill(now, s);
  return s;
}

}  // namespace netstab::core
