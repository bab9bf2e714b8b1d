#include "service/publish/stdout_sink.hpp"

#include <fmt/format.h>

#include "core/path_payloads.hpp"
#include "core/payloads.hpp"
#include "core/verdict_text.hpp"

namespace netstab::service {

namespace {
std::string ms(const std::optional<double>& v) { return v ? fmt::format("{:.3f}", *v) : std::string("-"); }

// "12:04:31 UTC"
std::string clock_text(core::wall_time t) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(t).count();
  const auto day = s % 86400;
  return fmt::format("{:02}:{:02}:{:02} UTC", day / 3600, (day / 60) % 60, day % 60);
}
}  // namespace

void stdout_sink::flush_line() {
  pending_.append(line_);
  pending_.push_back('\n');
  line_.clear();
  if (pending_.size() >= flush_at) flush();
}

void stdout_sink::flush() {
  if (pending_.empty()) return;
  std::fwrite(pending_.data(), 1, pending_.size(), out_);
  std::fflush(out_);
  pending_.clear();
}

void stdout_sink::on_sample(const target_view& t, const core::sample& s) {
  line_.clear();
  if (json_) {
    core::append_sample_json(line_, t.spec().host, t.address(), s, "sample");
  } else {
    const std::string who = t.address() == t.spec().host ? t.address() : t.spec().host + " (" + t.address() + ")";
    switch (s.status) {
      case core::probe_status::ok:
      case core::probe_status::late:
      case core::probe_status::duplicate:
        line_ = fmt::format("{} bytes from {}: seq={} ttl={} rtt={:.3f} ms process={:.3f} ms ({}){}", s.size, who,
                            s.seq, s.ttl, core::to_ms(*s.rtt), core::to_ms(s.process.value_or(core::nanos{0})),
                            core::to_string(s.clock),
                            s.status == core::probe_status::ok ? "" : fmt::format(" {}", core::to_string(s.status)));
        break;
      case core::probe_status::timeout:
        line_ = fmt::format("timeout from {}: seq={}", who, s.seq);
        break;
      case core::probe_status::unreachable:
      case core::probe_status::error:
        line_ = fmt::format("{} for {}: seq={} {}", core::to_string(s.status), who, s.seq, s.error);
        break;
    }
  }
  flush_line();
}

void stdout_sink::on_monitor_event(const target_view& t, const core::monitor_event& e) {
  const core::event ev = core::to_event(t.spec().host, e, clock_.wall_now());
  if (json_) {
    line_ = core::event_json(ev, "event");
  } else if (ev.type == core::event_type::status_change) {
    line_ = fmt::format("! {}: status {} -> {} ({})", ev.target, ev.from, ev.to, ev.reason);
  } else if (ev.inc) {
    line_ = fmt::format("! {}: incident #{} {} ({}, {} probes lost)", ev.target, ev.inc->id,
                        ev.type == core::event_type::incident_start ? "started" : "ended", ev.inc->reason,
                        ev.inc->probes_lost);
  } else {
    return;
  }
  flush_line();
}

void stdout_sink::on_target_event(const target_view& t, core::target_event what, std::string_view detail) {
  if (what == core::target_event::added) {
    if (!json_) {
      line_ =
          fmt::format("NETSTAB {}: {} data bytes, interval {} ms, timeout {} ms", t.spec().host, t.spec().probe.size,
                      std::chrono::duration_cast<std::chrono::milliseconds>(t.spec().probe.interval).count(),
                      std::chrono::duration_cast<std::chrono::milliseconds>(t.spec().probe.timeout).count());
      flush_line();
    }
    return;
  }
  if (what != core::target_event::resolve_failed && what != core::target_event::address_changed) return;
  const auto ev = core::to_event(t.spec().host, what, detail, t.address(), clock_.wall_now());
  if (json_) {
    line_ = core::event_json(*ev, "event");
  } else if (ev->type == core::event_type::resolve_failed) {
    line_ = fmt::format("! {}: resolve failed: {}", ev->target, ev->error);
  } else {
    line_ = fmt::format("! {}: address changed {} -> {}", ev->target, ev->from, ev->to);
  }
  flush_line();
}

void stdout_sink::on_fault_change(const target_view* t, const core::fault_change& c) {
  const core::event ev =
      core::to_event(t != nullptr ? std::string_view(t->spec().host) : std::string_view(), c, clock_.wall_now());
  if (json_) {
    line_ = core::event_json(ev, "event");
  } else {
    line_ = fmt::format("! {}: verdict {} -> {} ({})", t != nullptr ? t->spec().host : std::string("agent"), ev.from,
                        ev.to, ev.reason);
  }
  flush_line();
}

void stdout_sink::on_path_change(const target_view& t, const core::path_change& c) {
  const auto ip = core::ip_address::parse(t.address());
  if (!ip) return;
  const core::event ev = core::to_event(t.spec().host, *ip, c.after, c.reason, clock_.wall_now());
  line_ = json_ ? core::event_json(ev, "event") : fmt::format("! {}: path changed: {}", t.spec().host, c.reason);
  flush_line();
}

// The MTR-style table of a target's path (text), or its path payload (--json).
void stdout_sink::print_path(const target_view& t) {
  line_.clear();
  if (json_) {
    core::append_path_json(line_, t.spec().host, t.address(), clock_.wall_now(), t.traced_at(), t.path_rows(),
                           t.fault(), "path");
    flush_line();
    return;
  }
  if (!t.traced_at()) {
    // A run shorter than the first trace (its rounds are a second apart) has no path to show.
    line_ = fmt::format("--- {} path: not traced yet ---", t.spec().host);
    flush_line();
    return;
  }
  line_ = fmt::format("--- {} path (traced {}) ---\n{:>3}  {:<39} {:>6} {:>5} {:>9} {:>9}  {}", t.spec().host,
                      clock_text(*t.traced_at()), "Hop", "Host", "Loss%", "Snt", "p50 ms", "p95 ms", "Segment");
  for (const core::hop_row& h : t.path_rows()) {
    line_ += fmt::format("\n{:>3}  {:<39} {:>5.1f}% {:>5} {:>9} {:>9}  {}{}", h.ttl,
                         h.address ? h.address->text() : std::string("???"), h.loss_pct, h.sent, ms(h.rtt_p50_ms),
                         ms(h.rtt_p95_ms), core::to_string(h.where), h.rate_limited ? " (rate-limited)" : "");
  }
  flush_line();
}

void stdout_sink::on_finished() {
  if (finished_) finished_();
}

void stdout_sink::print_summary(const std::vector<const target_view*>& targets, const core::fault* agent) {
  const core::mono_time now = clock_.now();
  for (const target_view* t : targets) {
    const auto& mon = t->monitor();
    for (std::size_t w = 0; w < mon.window_count(); ++w) {
      const core::stats_snapshot st = mon.snapshot(now, w);
      line_.clear();
      if (json_) {
        core::append_stats_json(line_, t->spec().host, t->address(), clock_.wall_now(), st, "stats",
                                w == 0 ? &t->fault() : nullptr);
        flush_line();
        continue;
      }
      const auto secs = std::chrono::duration_cast<std::chrono::seconds>(st.window).count();
      line_ = fmt::format(
          "--- {} netstab statistics (window {} s) ---\n"
          "{} sent, {} received, {:.1f}% loss, {} duplicates, {} late, {} RTO (streak {})\n"
          "rtt     min/avg/max/stddev = {}/{}/{}/{} ms, p50/p95/p99 = {}/{}/{} ms\n"
          "process min/avg/max/stddev = {}/{}/{}/{} ms, p50/p95/p99 = {}/{}/{} ms\n"
          "jitter {} ms (RFC 3550 {} ms), MOS {}, status {} ({})",
          t->spec().host, secs, st.sent, st.received, st.loss_pct, st.duplicates, st.late, st.rto, st.rto_streak,
          ms(st.rtt.min), ms(st.rtt.avg), ms(st.rtt.max), ms(st.rtt.stddev), ms(st.rtt.p50), ms(st.rtt.p95),
          ms(st.rtt.p99), ms(st.process.min), ms(st.process.avg), ms(st.process.max), ms(st.process.stddev),
          ms(st.process.p50), ms(st.process.p95), ms(st.process.p99), ms(st.jitter_ms), ms(st.jitter_rfc3550_ms),
          st.mos ? fmt::format("{:.2f}", *st.mos) : std::string("-"), core::to_string(st.status), st.reason);
      if (w == 0) line_ += fmt::format("\nverdict {}: {}", core::to_string(t->fault().where), t->fault().reason);
      flush_line();
    }
    if (t->path_on()) print_path(*t);
  }
  if (agent != nullptr) {
    if (json_) {
      line_.clear();
      line_.append("{\"type\":\"verdict\",\"fault\":");
      core::append_fault_json(line_, *agent);
      line_.push_back('}');
    } else {
      line_ = fmt::format("agent verdict {}: {}", core::to_string(agent->where), agent->reason);
    }
    flush_line();
  }
  flush();
}

}  // namespace netstab::service
