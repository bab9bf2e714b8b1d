// The path engine's answers, timeouts and finished traces. Targets, schedule and sends are in path_engine.cpp.
#include <algorithm>
#include <utility>

#include "core/path_engine.hpp"
#include "core/path_engine_target.hpp"
#include "core/sample.hpp"

namespace netstab::core {

// What an answer is about: its probe's purpose and times.
struct path_engine::answer_context {
  probe_meta meta;
  probe_record rec;
  mono_time at{};
  nanos rtt{};
};

void path_engine::expire(target& t, mono_time now) {
  t.seqs.expire(now, [&](const probe_record& r) {
    ++counters_.timeouts;
    lost(t, r, now);
  });
}

void path_engine::lost(target& t, const probe_record& r, mono_time at) {
  const probe_meta& m = t.meta[r.seq & (t.meta.size() - 1)];
  if (m.seq != r.seq || !m.used) return;
  if (m.why == purpose::hop) hops_.on_lost(m.expected, r.sent_at, at);
}

void path_engine::on_answer(std::uint32_t id, std::uint32_t seq, path_answer kind, const ip_address& from,
                            std::optional<wall_time> kernel_rx) {
  target* t = find(id);
  if (t == nullptr || paused_) return;
  answer_context a;
  // Late and repeated answers are left out: the probe was counted when it timed out or first answered.
  if (t->seqs.on_reply(seq, &a.rec) != match_result::ok) return;
  a.meta = t->meta[seq & (t->meta.size() - 1)];
  if (a.meta.seq != seq || !a.meta.used) return;
  ++counters_.answers;
  a.at = clock_.now();
  a.rtt = measure_rtt(a.at - a.rec.sent_at, kernel_rx, a.rec.kernel_tx, a.rec.user_tx).rtt;
  switch (kind) {
    case path_answer::time_exceeded:
      on_time_exceeded(*t, a, from);
      break;
    case path_answer::echo_reply:
      on_reached(*t, a, from);
      break;
    case path_answer::unreachable:
      // A router that cannot forward: the probe is lost for the hop it was meant for.
      if (a.meta.why == purpose::hop) hops_.on_lost(a.meta.expected, a.rec.sent_at, a.at);
      break;
  }
}

void path_engine::on_time_exceeded(target& t, const answer_context& a, const ip_address& from) {
  const unsigned ttl = a.meta.ttl;
  switch (a.meta.why) {
    case purpose::trace:
      if (t.tracing && a.meta.trace_id == t.trace_id) t.trace.on_hop(ttl, from);
      return;
    case purpose::hop:
      if (from == a.meta.expected) {
        hops_.on_reply(from, a.rec.sent_at, a.at, a.rtt);
      } else {
        ask_retrace(t, a.at,
                    "hop " + std::to_string(ttl) + " answered from " + from.text() + ", not " + a.meta.expected.text());
      }
      return;
    case purpose::unknown:
      ask_retrace(t, a.at, "hop " + std::to_string(ttl) + " answers from " + from.text());
      return;
  }
}

void path_engine::on_reached(target& t, const answer_context& a, const ip_address& from) {
  if (from != t.address) return;
  if (a.meta.why == purpose::trace) {
    if (t.tracing && a.meta.trace_id == t.trace_id) t.trace.on_target(a.meta.ttl);
    return;
  }
  // A hop probe reached the target: the path is shorter than the one held.
  ask_retrace(t, a.at, "the target answered at TTL " + std::to_string(a.meta.ttl));
}

void path_engine::finish_trace(target& t, mono_time now) {
  t.tracing = false;
  const path_update u = merge_trace(t.state.path, t.state.traced, t.trace.result());
  if (u.changed) changes_.push_back(path_change{t.id, t.state.path, u.path, u.reason});
  t.state.path = u.path;
  t.state.traced = true;
  t.state.traced_at = clock_.wall_now();
  ++t.state.traces;
  std::vector<std::pair<ip_address, unsigned>> routes;
  for (std::size_t i = 0; i < u.path.hops.size(); ++i) {
    if (u.path.hops[i]) routes.emplace_back(*u.path.hops[i], static_cast<unsigned>(i + 1));
  }
  hops_.set_routes(t.id, routes, now);
  t.unknown_next.assign(u.path.hops.size(), now + cfg_.unknown_interval);
  t.next_trace = t.trace_started + cfg_.retrace;
  t.retrace_reason.clear();
}

}  // namespace netstab::core
