// The prober's path monitoring and verdicts: which targets get a path, path probes and their answers, each
// target's verdict and the agent's. Targets and schedule are in prober.cpp; the targets' own probes in
// prober_io.cpp.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/agent_verdict.hpp"
#include "core/verdict_text.hpp"
#include "service/probe/prober.hpp"
#include "service/probe/prober_target.hpp"
#include "service/probe/sockaddr.hpp"

namespace netstab::service {

namespace icmp = core::icmp;
using core::mono_time;

namespace {

// The default gateway is read again when traces began since, at most this often.
constexpr core::nanos gateway_period{std::chrono::seconds(10)};

std::string fault_json(const core::fault& f) {
  std::string out;
  core::append_fault_json(out, f);
  return out;
}

}  // namespace

core::result<void> prober::choose_path(target& t) {
  const core::path_mode mode = t.spec_.probe.path;
  if (t.path || mode == core::path_mode::off || !opt_.path.enabled) return core::success();
  if (mode == core::path_mode::automatic && !opt_.path.auto_path) return core::success();
  if (path_targets_ >= opt_.path.max_targets) {
    if (mode == core::path_mode::on) {
      return core::error{"target \"" + t.spec_.host + "\": path monitoring is on for " + std::to_string(path_targets_) +
                         " targets already (path.max_targets)"};
    }
    return core::success();
  }
  t.path = true;
  ++path_targets_;
  if (t.ip) start_path(t);
  return core::success();
}

void prober::start_path(target& t) {
  if (engine_.has(t.token)) {
    engine_.set_address(t.token, *t.ip);
  } else {
    engine_.add_target(t.token, *t.ip);
  }
  if (running_) rearm();
}

void prober::drop_path(target& t) {
  engine_.remove_target(t.token);
  t.path = false;
  t.rows.clear();
  t.traced.reset();
  --path_targets_;
}

// A target with path monitoring on left: the next targets that would have had it, in the order they were added,
// get it now.
void prober::promote_paths() {
  if (!opt_.path.enabled || path_targets_ >= opt_.path.max_targets) return;
  std::vector<target*> list;
  for (auto& p : slots_) {
    if (p && !p->path && p->spec_.probe.path != core::path_mode::off) list.push_back(p.get());
  }
  std::sort(list.begin(), list.end(), [](const target* a, const target* b) { return a->order < b->order; });
  for (target* t : list) {
    if (path_targets_ >= opt_.path.max_targets) break;
    (void)choose_path(*t);
  }
}

core::path_summary prober::path_summary() const {
  core::path_summary s;
  s.targets = path_targets_;
  s.hops = engine_.hops().size();
  s.traces = engine_.counters().traces;
  s.budget = engine_.budget();
  return s;
}

void prober::path_tick() {
  engine_.advance();
  handle_path_changes();
  while (auto p = engine_.next_probe()) send_path_probe(*p);
  refresh_gateways(false);
}

void prober::send_path_probe(const core::path_probe& p) {
  target* t = by_token(p.target);
  if (t == nullptr || !t->addr) {
    engine_.on_sent(p, clock_.now(), clock_.wall_now(), false);
    return;
  }
  auto sock = socket_for(t->fam);
  const std::size_t need = icmp::header_size + t->spec_.probe.size;
  if (packet_.size() < need) packet_.resize(need);
  icmp::echo e;
  e.id = sock ? (*sock)->identifier() : 0;
  e.seq16 = static_cast<std::uint16_t>(p.seq & 0xffffU);
  e.cookie = cookie_;
  e.token = t->token | path_bit;
  e.seq32 = p.seq;
  e.flow = icmp::flow_sum(t->token);
  const std::size_t len = icmp::encode_echo_request(t->fam, e, t->spec_.probe.size, packet_);
  send_options o = t->send_opt;
  o.ttl = static_cast<int>(p.ttl);
  const mono_time sent_at = clock_.now();
  const core::wall_time user_tx = clock_.wall_now();
  const bool ok = sock && (*sock)->send(*t->addr, std::span<const std::byte>(packet_.data(), len), o).ok();
  engine_.on_sent(p, sent_at, user_tx, ok);
  ++counters_.path_sent;
}

void prober::on_path_input(target& t, const icmp_input& in) {
  const std::uint32_t id = t.token;
  switch (in.what) {
    case icmp_input::kind::tx_timestamp:
      if (in.kernel_ts) engine_.set_kernel_tx(id, in.pkt.seq32, *in.kernel_ts);
      return;
    case icmp_input::kind::reply:
      if (!t.addr || !same_address(*t.addr, in.from)) return;
      engine_.on_answer(id, in.pkt.seq32, core::path_answer::echo_reply, *t.ip, in.kernel_ts);
      break;
    case icmp_input::kind::icmp_error:
      if (in.from.ss_family != AF_INET && in.from.ss_family != AF_INET6) return;
      engine_.on_answer(
          id, in.pkt.seq32,
          in.pkt.what == icmp::kind::time_exceeded ? core::path_answer::time_exceeded : core::path_answer::unreachable,
          from_sockaddr(in.from), in.kernel_ts);
      break;
    case icmp_input::kind::local_error:
      return;
  }
  ++counters_.path_answers;
}

// An ICMP error whose quote ends before netstab's payload block (routers need quote only the IP header and 8
// bytes): the quoted destination names the target and the quoted 16-bit sequence its path probe. The target's
// own probes rarely expire in transit (their TTL is the configured one), so the error is taken as a path probe's.
bool prober::on_short_quote(const icmp_input& in) {
  if (in.what != icmp_input::kind::icmp_error || !in.pkt.has_quoted_echo || in.pkt.has_netstab_payload) return false;
  if (in.from.ss_family != AF_INET && in.from.ss_family != AF_INET6) return false;
  const bool v4 = in.from.ss_family == AF_INET;
  std::optional<core::ip_address> dst;
  if (v4) {
    std::array<std::uint8_t, 4> b{};
    for (std::size_t i = 0; i < 4; ++i) b[i] = std::to_integer<std::uint8_t>(in.pkt.quoted_dst[i]);
    dst = core::ip_address::v4(b);
  } else {
    std::array<std::uint8_t, 16> b{};
    for (std::size_t i = 0; i < 16; ++i) b[i] = std::to_integer<std::uint8_t>(in.pkt.quoted_dst[i]);
    dst = core::ip_address::v6(b);
  }
  for (auto& p : slots_) {
    if (!p || !p->path || !p->ip || *p->ip != *dst) continue;
    const auto seq = engine_.path_seq(p->token, in.pkt.seq16);
    if (!seq) return false;
    engine_.on_answer(
        p->token, *seq,
        in.pkt.what == icmp::kind::time_exceeded ? core::path_answer::time_exceeded : core::path_answer::unreachable,
        from_sockaddr(in.from), in.kernel_ts);
    ++counters_.path_answers;
    return true;
  }
  return false;
}

void prober::handle_path_changes() {
  for (const core::path_change& c : engine_.take_changes()) {
    target* t = by_token(c.target);
    if (t == nullptr) continue;
    t->verdict.path_changed(engine_.hops(), c.after, core::first_difference(c.before, c.after));
    spdlog::info("{}: path changed: {}", t->spec_.host, c.reason);
    // Evaluated at once, so that the path published with the event has the new hops.
    if (t->ip) evaluate(*t, clock_.now());
    sink_.on_path_change(*t, c);
  }
}

void prober::evaluate(target& t, mono_time now) {
  const core::stats_snapshot st = t.monitor_.verdict_snapshot(now);
  core::verdict_input in;
  in.target = *t.ip;
  in.stats = &st;
  in.status = t.monitor_.status();
  if (t.path) {
    in.path = engine_.state(t.token);
    in.hops = &engine_.hops();
  }
  in.gateway = t.ip->is_v4() ? gateways_.v4 : gateways_.v6;
  const auto change =
      t.verdict.evaluate(in, now, clock_.wall_now(), t.spec_.probe.interval, t.path ? &t.rows : nullptr);
  if (in.path != nullptr && in.path->traced) t.traced = in.path->traced_at;
  core::incident* inc = t.monitor_.latest_incident();
  if (inc != nullptr && t.monitor_.incident_open() && t.verdict.reported().where != core::segment::ok) {
    inc->fault_json = fault_json(t.verdict.worst());
  }
  if (!change) return;
  spdlog::info("{}: verdict {} -> {}: {}", t.spec_.host, core::to_string(change->from.where),
               core::to_string(change->to.where), change->to.reason);
  note_fault(t, change->to.where != core::segment::ok);
  sink_.on_fault_change(&t, *change);
  agent_due_ = true;
}

void prober::evaluate_agent() {
  agent_due_ = false;
  std::vector<core::target_fault> faults;
  const auto add = [&](const target* t) {
    faults.push_back(core::target_fault{t->spec_.host, &t->verdict.reported()});
  };
  // With one target in all the agent's verdict is that target's own, ok or not (core/agent_verdict.hpp), so the
  // target goes in even when it is not degraded.
  if (by_host_.size() == 1) {
    for (const auto& p : slots_) {
      if (p) add(p.get());
    }
  } else {
    faults.reserve(degraded_.size());
    for (const target* t : degraded_) add(t);
  }
  const auto change =
      agent_tracker_.evaluate(core::agent_verdict(faults, by_host_.size()), clock_.now(), clock_.wall_now());
  if (!change) return;
  spdlog::info("agent verdict {} -> {}: {}", core::to_string(change->from.where), core::to_string(change->to.where),
               change->to.reason);
  sink_.on_fault_change(nullptr, *change);
}

// Keeps degraded_ in the order the targets were added (order grows with every addition).
void prober::note_fault(const target& t, bool degraded) {
  const auto at = std::lower_bound(degraded_.begin(), degraded_.end(), t.order,
                                   [](const target* a, std::uint32_t order) { return a->order < order; });
  const bool listed = at != degraded_.end() && *at == &t;
  if (degraded && !listed) degraded_.insert(at, &t);
  if (!degraded && listed) degraded_.erase(at);
}

// Incidents record the path when they begin and the verdict at its worst; the events that announce them carry
// the same. A worsening status may mean a new path: it asks for a trace (the engine throttles).
void prober::annotate_incidents(target& t) {
  for (core::monitor_event& e : events_) {
    if (e.what == core::monitor_event::kind::status_change) {
      if (t.path && e.to > e.from) {
        engine_.request_retrace(t.token, std::string("status ") + std::string(core::to_string(e.from)) + " -> " +
                                             std::string(core::to_string(e.to)));
      }
      continue;
    }
    core::incident* kept = t.monitor_.latest_incident();
    core::incident& inc = kept != nullptr && kept->id == e.inc.id ? *kept : e.inc;
    const bool starting = e.what == core::monitor_event::kind::incident_start;
    if (starting && t.path && t.ip) {
      const core::path_state* s = engine_.state(t.token);
      if (s != nullptr && s->traced) inc.path = core::path_addresses(s->path, *t.ip);
    }
    if (t.verdict.reported().where != core::segment::ok) inc.fault_json = fault_json(t.verdict.worst());
    e.inc = inc;
  }
}

void prober::refresh_gateways(bool force) {
  if (!opt_.path.read_gateway || !opt_.path.enabled) return;
  const mono_time now = clock_.now();
  const std::uint64_t traces = engine_.counters().traces;
  if (!force && (traces == gateway_traces_ || now < next_gateway_read_)) return;
  gateway_traces_ = traces;
  next_gateway_read_ = now + gateway_period;
  gateway_reader_.request();
}

}  // namespace netstab::service
