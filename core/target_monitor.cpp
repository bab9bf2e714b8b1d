#include "core/target_monitor.hpp"

#include <algorithm>
#include <limits>

#include "core/mos.hpp"

namespace netstab::core {
namespace {

// Latencies are kept in whole microseconds (rounded), clamped to what a uint32 holds.
std::uint32_t to_us(nanos d) {
  const auto us = (d.count() + 500) / 1000;
  return static_cast<std::uint32_t>(std::clamp<nanos::rep>(us, 0, std::numeric_limits<std::uint32_t>::max()));
}

constexpr unsigned channel(latency_series s) { return static_cast<unsigned>(s); }

}  // namespace

target_monitor::target_monitor(const monitor_config& cfg) : status_(cfg.thresholds), incidents_(cfg.max_incidents) {
  windows_.reserve(1 + cfg.extra_windows.size());
  windows_.emplace_back(cfg.window, cfg.buckets);
  for (const nanos w : cfg.extra_windows) {
    windows_.emplace_back(w, cfg.buckets);
  }
}

void target_monitor::on_sent(mono_time t) {
  for (window_stats& w : windows_) {
    w.on_sent(t);
  }
}

void target_monitor::record_last(latency_series s, mono_time at, std::uint32_t us) {
  const unsigned c = channel(s);
  last_at_[c] = at;
  last_us_[c] = us;
  has_last_[c] = true;
}

void target_monitor::on_sample(const sample& s, std::vector<monitor_event>& out) {
  switch (s.status) {
    case probe_status::ok: {
      streak_ = 0;
      std::optional<std::uint32_t> rtt;
      std::optional<std::uint32_t> process;
      std::optional<std::uint32_t> ipdv;
      if (s.rtt) {
        rtt = to_us(*s.rtt);
        ipdv = jitter_.on_rtt(*rtt);
        record_last(latency_series::rtt, s.at, *rtt);
      }
      if (s.process) {
        process = to_us(*s.process);
        record_last(latency_series::process, s.at, *process);
      }
      for (window_stats& w : windows_) {
        w.on_received(s.at, rtt, process, ipdv);
      }
      break;
    }
    case probe_status::timeout:
    case probe_status::unreachable:
    case probe_status::error: {
      ++streak_;
      const bool rto = s.status == probe_status::timeout;
      for (window_stats& w : windows_) {
        w.on_lost(s.at, rto);
      }
      incidents_.on_lost();
      break;
    }
    case probe_status::late:
      for (window_stats& w : windows_) {
        w.on_late(s.at);
      }
      return;
    case probe_status::duplicate:
      for (window_stats& w : windows_) {
        w.on_duplicate(s.at);
      }
      return;
  }
  evaluate(s.wall, out);
  incidents_.touch(s.wall);
}

void target_monitor::evaluate(wall_time wall, std::vector<monitor_event>& out) {
  const window_stats& w = windows_.front();
  const window_counts& c = w.counts();
  status_inputs in;
  in.resolved = c.received + c.lost;
  in.rto_streak = streak_;
  if (in.resolved >= status_.thresholds().min_samples && in.resolved > 0) {
    in.loss_pct = static_cast<double>(c.lost) / static_cast<double>(in.resolved) * 100.0;
    in.rtt_p95_ms = w.percentile_ms(latency_series::rtt, 95.0);
    in.jitter_ms = ipdv_mean_ms(c.ipdv_sum_us, c.ipdv_count);
  }
  const health before = status_.level();
  const bool changed = status_.evaluate(in);
  emit_changes(before, changed, wall, out);
}

void target_monitor::emit_changes(health before, bool changed, wall_time wall, std::vector<monitor_event>& out) {
  if (changed) {
    monitor_event e{monitor_event::kind::status_change, before, status_.level(), status_.reason(), {}};
    out.push_back(std::move(e));
  }
  const std::uint32_t streak_bad = status_.thresholds().rto_streak_bad;
  const bool outage = status_.level() == health::bad || (streak_bad > 0 && streak_ >= streak_bad);
  if (!incidents_.is_open() && outage) {
    incident inc = incidents_.open(wall, status_.reason(), streak_);
    out.push_back(
        monitor_event{monitor_event::kind::incident_start, before, status_.level(), status_.reason(), std::move(inc)});
  } else if (incidents_.is_open() && status_.level() != health::bad && streak_ == 0) {
    incident inc = incidents_.close(wall);
    out.push_back(
        monitor_event{monitor_event::kind::incident_end, before, status_.level(), status_.reason(), std::move(inc)});
  }
}

void target_monitor::set_fault(std::string reason, [[maybe_unused]] mono_time now, wall_time wall,
                               std::vector<monitor_event>& out) {
  const health before = status_.level();
  const bool changed = status_.set_fault(std::move(reason));
  emit_changes(before, changed, wall, out);
  incidents_.touch(wall);
}

void target_monitor::clear_fault([[maybe_unused]] mono_time now, wall_time wall, std::vector<monitor_event>& out) {
  const health before = status_.level();
  const bool changed = status_.clear_fault();
  emit_changes(before, changed, wall, out);
  incidents_.touch(wall);
}

stats_snapshot target_monitor::snapshot(mono_time now, std::size_t window_index) const {
  const window_stats& w = windows_.at(window_index);
  stats_snapshot out;
  w.fill(now, out);
  out.rto_streak = streak_;
  const auto last = [&](latency_series s) -> std::optional<double> {
    const unsigned c = channel(s);
    if (!has_last_[c] || !w.contains(now, last_at_[c])) {
      return std::nullopt;
    }
    return static_cast<double>(last_us_[c]) / 1000.0;
  };
  out.rtt.last = last(latency_series::rtt);
  out.process.last = last(latency_series::process);
  if (out.jitter_ms) {
    if (const auto j = jitter_.rfc3550_us()) {
      out.jitter_rfc3550_ms = *j / 1000.0;
    }
  }
  out.mos = window_mos(out.received, out.lost, out.rtt.avg, out.jitter_ms, out.loss_pct);
  out.status = status_.level();
  out.reason = status_.reason();
  return out;
}

stats_snapshot target_monitor::verdict_snapshot(mono_time now) const {
  stats_snapshot out;
  windows_.front().fill_verdict(now, out);
  out.status = status_.level();
  return out;
}

std::size_t target_monitor::memory_bytes() const {
  std::size_t n = sizeof(*this) + (windows_.capacity() - windows_.size()) * sizeof(window_stats);
  for (const window_stats& w : windows_) {
    n += w.memory_bytes();
  }
  return n + status_.heap_bytes() + incidents_.heap_bytes();
}

}  // namespace netstab::core
