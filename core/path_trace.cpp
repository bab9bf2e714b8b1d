#include "core/path_trace.hpp"

#include <algorithm>

namespace netstab::core {

path_trace::path_trace(const trace_config& cfg)
    : cfg_(cfg), answers_(std::max(cfg.max_ttl, 1U)), answered_round_(std::max(cfg.max_ttl, 1U), 0) {
  cfg_.max_ttl = std::max(cfg_.max_ttl, 1U);
  cfg_.rounds = std::max(cfg_.rounds, 1U);
}

void path_trace::start(mono_time now) {
  started_ = true;
  round_ = 0;
  next_ttl_ = 1;
  round_started_ = now;
  last_sent_ = now;
}

unsigned path_trace::limit() const { return target_ttl_ ? std::min(*target_ttl_, cfg_.max_ttl) : cfg_.max_ttl; }

std::optional<unsigned> path_trace::due(mono_time now) const {
  if (!started_) return std::nullopt;
  if (!round_done()) return next_ttl_;
  if (round_ + 1 < cfg_.rounds && now >= round_started_ + cfg_.round_gap) return 1U;
  return std::nullopt;
}

void path_trace::on_sent(unsigned ttl, mono_time now) {
  if (round_done()) {  // the first probe of the next round
    ++round_;
    round_started_ = now;
    std::fill(answered_round_.begin(), answered_round_.end(), 0);
  }
  next_ttl_ = ttl + 1;
  last_sent_ = now;
  ++sent_;
}

void path_trace::on_hop(unsigned ttl, const ip_address& from) {
  if (ttl == 0 || ttl > cfg_.max_ttl) return;
  auto& list = answers_[ttl - 1];
  auto it = std::find_if(list.begin(), list.end(), [&](const seen& s) { return s.address == from; });
  if (it == list.end()) {
    list.push_back(seen{from, 1});
  } else {
    ++it->count;
  }
  answered_round_[ttl - 1] = 1;
}

void path_trace::on_target(unsigned ttl) {
  if (ttl == 0 || ttl > cfg_.max_ttl) return;
  if (!target_ttl_ || ttl < *target_ttl_) target_ttl_ = ttl;
  answered_round_[ttl - 1] = 1;
}

bool path_trace::last_round_answered() const {
  const unsigned n = limit();
  for (unsigned ttl = 1; ttl <= n; ++ttl) {
    if (answered_round_[ttl - 1] == 0) return false;
  }
  return true;
}

bool path_trace::finished(mono_time now) const {
  if (!started_ || !round_done() || round_ + 1 < cfg_.rounds) return false;
  return last_round_answered() || now >= last_sent_ + cfg_.wait;
}

std::optional<mono_time> path_trace::next_event(mono_time now) const {
  if (!started_) return std::nullopt;
  if (finished(now) || due(now)) return now;
  if (round_ + 1 < cfg_.rounds) return round_started_ + cfg_.round_gap;
  return last_sent_ + cfg_.wait;
}

trace_result path_trace::result() const {
  trace_result r;
  r.target_ttl = target_ttl_;
  unsigned hops = 0;
  if (target_ttl_) {
    hops = *target_ttl_ - 1;
  } else {
    for (unsigned ttl = cfg_.max_ttl; ttl >= 1; --ttl) {
      if (!answers_[ttl - 1].empty()) {
        hops = ttl;
        break;
      }
    }
  }
  r.hops.reserve(hops);
  for (unsigned ttl = 1; ttl <= hops; ++ttl) {
    const auto& list = answers_[ttl - 1];
    const auto best =
        std::max_element(list.begin(), list.end(), [](const seen& a, const seen& b) { return a.count < b.count; });
    r.hops.push_back(best == list.end() ? std::nullopt : std::optional<ip_address>(best->address));
  }
  return r;
}

namespace {

std::string text_of(const std::optional<ip_address>& a) { return a ? a->text() : std::string("*"); }

void add_reason(std::string& out, const std::string& part) {
  if (!out.empty()) out += "; ";
  out += part;
}

}  // namespace

path_update merge_trace(const traced_path& current, bool traced_before, const trace_result& fresh) {
  path_update u;
  if (!traced_before) {
    u.path = traced_path{fresh.hops, fresh.target_ttl};
    return u;
  }
  const bool both_reached = current.target_ttl && fresh.target_ttl;
  if (both_reached && *current.target_ttl != *fresh.target_ttl) {
    u.changed = true;
    u.reason = "path now " + std::to_string(*fresh.target_ttl) + " hops to the target (was " +
               std::to_string(*current.target_ttl) + ")";
  }
  const bool carry = !u.changed;  // a path of another length is another path: nothing carries over
  u.path.target_ttl = fresh.target_ttl ? fresh.target_ttl : current.target_ttl;
  const std::size_t n =
      fresh.target_ttl || !carry ? fresh.hops.size() : std::max(fresh.hops.size(), current.hops.size());
  u.path.hops.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::optional<ip_address> now = i < fresh.hops.size() ? fresh.hops[i] : std::nullopt;
    const std::optional<ip_address> before = i < current.hops.size() ? current.hops[i] : std::nullopt;
    u.path.hops[i] = now ? now : (carry ? before : std::nullopt);
    if (now && before && *now != *before) {
      add_reason(u.reason, "hop " + std::to_string(i + 1) + " changed " + text_of(before) + " -> " + text_of(now));
      u.changed = true;
    }
  }
  return u;
}

}  // namespace netstab::core
