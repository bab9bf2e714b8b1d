// The path engine's targets, schedule and sends. Answers, timeouts and finished traces are in
// path_engine_answers.cpp.
#include "core/path_engine.hpp"

#include <algorithm>

#include "core/path_engine_target.hpp"

namespace netstab::core {

namespace {

// The path probes one target may have in flight: its share of the budget at most, and at most what its trace,
// hop and unknown-hop probes can ask for in a second; the ring covers the timeout and a second of late answers.
std::size_t ring_size(const path_engine_config& cfg) {
  const double per_second_ttl = static_cast<double>(cfg.trace.max_ttl);
  auto per = [](nanos d) { return 1e9 / static_cast<double>(std::max<nanos::rep>(d.count(), 1)); };
  const double rate =
      std::min(static_cast<double>(std::max<std::uint32_t>(cfg.max_pps, 1)),
               per_second_ttl * (per(cfg.trace.round_gap) + per(cfg.hops.interval) + per(cfg.unknown_interval)));
  const nanos interval{static_cast<nanos::rep>(1e9 / std::max(rate, 1.0))};
  return sequence_map::capacity_for(std::max(interval, nanos{1000}), cfg.timeout, std::chrono::seconds(1));
}

}  // namespace

path_engine::target::target(std::uint32_t i, const ip_address& a, const path_engine_config& cfg)
    : id(i), address(a), seqs(ring_size(cfg)), trace(cfg.trace) {
  meta.resize(seqs.capacity());
}

path_engine::path_engine(const path_engine_config& cfg, const clock& clk)
    : cfg_(cfg), clock_(clk), hops_(cfg.hops), budget_(cfg.max_pps, clk.now()) {
  cfg_.trace.wait = cfg_.timeout;
}

path_engine::~path_engine() = default;

path_engine::target* path_engine::find(std::uint32_t id) {
  for (auto& t : targets_) {
    if (t->id == id) return t.get();
  }
  return nullptr;
}

const path_engine::target* path_engine::find(std::uint32_t id) const {
  return const_cast<path_engine*>(this)->find(id);
}

bool path_engine::has(std::uint32_t id) const { return find(id) != nullptr; }

std::size_t path_engine::target_count() const { return targets_.size(); }

const path_state* path_engine::state(std::uint32_t id) const {
  const target* t = find(id);
  return t == nullptr ? nullptr : &t->state;
}

void path_engine::add_target(std::uint32_t id, const ip_address& address) {
  if (find(id) != nullptr) return;
  auto t = std::make_unique<target>(id, address, cfg_);
  t->next_trace = clock_.now();
  targets_.push_back(std::move(t));
}

void path_engine::remove_target(std::uint32_t id) {
  hops_.remove_target(id);
  std::erase_if(targets_, [id](const std::unique_ptr<target>& t) { return t->id == id; });
}

void path_engine::set_address(std::uint32_t id, const ip_address& address) {
  target* t = find(id);
  if (t == nullptr || t->address == address) return;
  t->address = address;
  ask_retrace(*t, clock_.now(), "new address " + address.text());
}

void path_engine::request_retrace(std::uint32_t id, const std::string& why) {
  if (target* t = find(id)) ask_retrace(*t, clock_.now(), why);
}

void path_engine::ask_retrace(target& t, mono_time now, const std::string& why) {
  if (t.tracing) return;  // the trace under way sees the path as it is now
  const mono_time earliest = t.traced_once ? t.trace_started + cfg_.retrace_min : now;
  const mono_time at = std::max(now, earliest);
  if (at < t.next_trace) {
    t.next_trace = at;
    t.retrace_reason = why;
  }
}

void path_engine::pause() {
  paused_ = true;
  for (auto& t : targets_) {
    t->seqs.forget_outstanding();
    if (t->tracing) {
      t->tracing = false;
      t->next_trace = clock_.now();
    }
  }
}

void path_engine::resume() {
  if (!paused_) return;
  paused_ = false;
  const mono_time now = clock_.now();
  for (auto& t : targets_) t->next_trace = std::min(t->next_trace, now);
}

void path_engine::start_trace(target& t, mono_time now) {
  t.trace = path_trace(cfg_.trace);
  t.trace.start(now);
  t.tracing = true;
  t.traced_once = true;
  ++t.trace_id;
  t.trace_started = now;
  t.deferred_trace = false;
  ++counters_.traces;
}

void path_engine::advance() {
  if (paused_) return;
  const mono_time now = clock_.now();
  for (auto& tp : targets_) {
    target& t = *tp;
    expire(t, now);
    if (t.tracing && t.trace.finished(now)) finish_trace(t, now);
    if (!t.tracing && now >= t.next_trace) start_trace(t, now);
  }
}

// The most urgent probe due at now, before the budget is asked.
std::optional<path_probe> path_engine::candidate(mono_time now) {
  for (auto& t : targets_) {
    if (!t->tracing) continue;
    if (const auto ttl = t->trace.due(now)) {
      t->pending = probe_meta{0, true, *ttl, purpose::trace, t->trace_id, {}};
      return path_probe{t->id, *ttl, t->seqs.next_seq()};
    }
  }
  if (hop_table::hop* h = hops_.due(now)) {
    const hop_route r = h->routes.at(h->turn % h->routes.size());
    if (target* t = find(r.target)) {
      t->pending = probe_meta{0, true, r.ttl, purpose::hop, 0, h->address};
      return path_probe{t->id, r.ttl, t->seqs.next_seq()};
    }
  }
  for (auto& t : targets_) {
    const auto& hops = t->state.path.hops;
    for (std::size_t i = 0; i < hops.size() && i < t->unknown_next.size(); ++i) {
      if (hops[i] || t->unknown_next[i] > now) continue;
      const auto ttl = static_cast<unsigned>(i + 1);
      t->pending = probe_meta{0, true, ttl, purpose::unknown, 0, {}};
      return path_probe{t->id, ttl, t->seqs.next_seq()};
    }
  }
  return std::nullopt;
}

std::optional<path_probe> path_engine::next_probe() {
  blocked_ = false;
  if (paused_) return std::nullopt;
  const mono_time now = clock_.now();
  auto p = candidate(now);
  if (!p) return std::nullopt;
  target* found = find(p->target);
  if (found == nullptr) return std::nullopt;  // candidate() names only targets it holds
  target& t = *found;
  hop_table::hop* h = t.pending.why == purpose::hop ? hops_.find(t.pending.expected) : nullptr;
  if (!budget_.try_take(now)) {
    bool& deferred = t.pending.why == purpose::trace ? t.deferred_trace
                     : h != nullptr                  ? h->deferred
                                                     : t.deferred_unknown;
    if (!deferred) budget_.note_deferred();
    deferred = true;
    blocked_ = true;
    return std::nullopt;
  }
  switch (t.pending.why) {
    case purpose::trace:
      t.deferred_trace = false;
      ++counters_.trace_probes;
      break;
    case purpose::hop:
      hops_.on_probe(*h, now);
      ++counters_.hop_probes;
      break;
    case purpose::unknown:
      t.unknown_next[p->ttl - 1] = now + cfg_.unknown_interval;
      t.deferred_unknown = false;
      ++counters_.unknown_probes;
      break;
  }
  return p;
}

void path_engine::on_sent(const path_probe& p, mono_time sent_at, wall_time user_tx, bool ok) {
  target* t = find(p.target);
  if (t == nullptr || !t->pending.used) return;
  std::optional<probe_record> evicted;
  const std::uint32_t seq = t->seqs.on_sent(sent_at, cfg_.timeout, user_tx, &evicted);
  probe_meta m = t->pending;
  m.seq = seq;
  t->pending.used = false;
  if (evicted) lost(*t, *evicted, sent_at);
  t->meta[seq & (t->meta.size() - 1)] = m;
  if (m.why == purpose::trace && m.trace_id == t->trace_id && t->tracing) t->trace.on_sent(m.ttl, sent_at);
  if (!ok) {
    ++counters_.send_errors;
    probe_record rec;
    if (t->seqs.resolve(seq, &rec)) lost(*t, rec, sent_at);
  }
}

void path_engine::set_kernel_tx(std::uint32_t id, std::uint32_t seq, wall_time ts) {
  if (target* t = find(id)) t->seqs.set_kernel_tx(seq, ts);
}

std::optional<std::uint32_t> path_engine::path_seq(std::uint32_t id, std::uint16_t low16) const {
  const target* t = find(id);
  if (t == nullptr) return std::nullopt;
  const std::uint32_t next = t->seqs.next_seq();
  const auto back = static_cast<std::uint16_t>(next - low16);
  if (back == 0 || back > next) return std::nullopt;
  return next - back;
}

std::optional<mono_time> path_engine::next_wake() const {
  if (paused_) return std::nullopt;
  std::optional<mono_time> next;
  auto take = [&next](mono_time v) {
    if (!next || v < *next) next = v;
  };
  const mono_time now = clock_.now();
  for (const auto& t : targets_) {
    if (auto d = t->seqs.next_deadline()) take(*d);
    if (t->tracing) {
      if (auto e = t->trace.next_event(now)) take(*e);
    } else {
      take(t->next_trace);
    }
    const auto& hops = t->state.path.hops;
    for (std::size_t i = 0; i < hops.size() && i < t->unknown_next.size(); ++i) {
      if (!hops[i]) take(t->unknown_next[i]);
    }
  }
  if (auto d = hops_.next_due()) take(*d);
  // Something is due but the budget is short: wake when it has room, never in a loop before.
  if (next && *next <= now) next = std::max(budget_.next_free(now), now + nanos{std::chrono::microseconds(100)});
  return next;
}

std::vector<path_change> path_engine::take_changes() {
  std::vector<path_change> out;
  out.swap(changes_);
  return out;
}

}  // namespace netstab::core
