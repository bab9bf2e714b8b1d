#include "service/stdout_sink.hpp"

#include <fmt/format.h>

#include "core/payloads.hpp"

namespace netstab::service {

core::event to_event(const target_view& t, const core::monitor_event& e, core::wall_time now) {
  core::event ev;
  ev.ts = now;
  ev.target = t.spec().host;
  switch (e.what) {
    case core::monitor_event::kind::status_change:
      ev.type = core::event_type::status_change;
      ev.from = std::string(core::to_string(e.from));
      ev.to = std::string(core::to_string(e.to));
      ev.reason = e.reason;
      break;
    case core::monitor_event::kind::incident_start:
      ev.type = core::event_type::incident_start;
      ev.inc = e.inc;
      break;
    case core::monitor_event::kind::incident_end:
      ev.type = core::event_type::incident_end;
      ev.inc = e.inc;
      break;
  }
  return ev;
}

namespace {
std::string ms(const std::optional<double>& v) { return v ? fmt::format("{:.3f}", *v) : std::string("-"); }
}  // namespace

void stdout_sink::flush_line() {
  line_.push_back('\n');
  std::fwrite(line_.data(), 1, line_.size(), out_);
  std::fflush(out_);
  line_.clear();
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
  const core::event ev = to_event(t, e, clock_.wall_now());
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

void stdout_sink::on_target_event(const target_view& t, target_event what, std::string_view detail) {
  if (what == target_event::added) {
    if (!json_) {
      line_ = fmt::format("NETSTAB {}: {} data bytes, interval {} ms, timeout {} ms", t.spec().host, t.spec().probe.size,
                          std::chrono::duration_cast<std::chrono::milliseconds>(t.spec().probe.interval).count(),
                          std::chrono::duration_cast<std::chrono::milliseconds>(t.spec().probe.timeout).count());
      flush_line();
    }
    return;
  }
  core::event ev;
  ev.ts = clock_.wall_now();
  ev.target = t.spec().host;
  switch (what) {
    case target_event::resolve_failed:
      ev.type = core::event_type::resolve_failed;
      ev.error = std::string(detail);
      break;
    case target_event::address_changed:
      ev.type = core::event_type::address_changed;
      ev.from = std::string(detail);
      ev.to = t.address();
      break;
    default:
      return;
  }
  if (json_) {
    line_ = core::event_json(ev, "event");
  } else if (ev.type == core::event_type::resolve_failed) {
    line_ = fmt::format("! {}: resolve failed: {}", ev.target, ev.error);
  } else {
    line_ = fmt::format("! {}: address changed {} -> {}", ev.target, ev.from, ev.to);
  }
  flush_line();
}

void stdout_sink::on_finished() {
  if (finished_) finished_();
}

void stdout_sink::print_summary(const prober& p) {
  const core::mono_time now = clock_.now();
  for (const target_view* t : p.targets()) {
    const auto& mon = t->monitor();
    for (std::size_t w = 0; w < mon.window_count(); ++w) {
      const core::stats_snapshot st = mon.snapshot(now, w);
      line_.clear();
      if (json_) {
        core::append_stats_json(line_, t->spec().host, t->address(), clock_.wall_now(), st, "stats");
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
      flush_line();
    }
  }
}

}  // namespace netstab::service
