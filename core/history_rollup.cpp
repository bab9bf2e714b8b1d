#include "core/history_rollup.hpp"

#include <algorithm>
#include <limits>

#include "core/mos.hpp"

namespace netstab::core {
namespace {

// Latencies are kept in whole microseconds (rounded), clamped to what a uint32 holds (as target_monitor does).
std::uint32_t to_us(nanos d) {
  const auto us = (d.count() + 500) / 1000;
  return static_cast<std::uint32_t>(std::clamp<nanos::rep>(us, 0, std::numeric_limits<std::uint32_t>::max()));
}

double ms(double us) { return us / 1000.0; }

std::optional<double> mean_ms(std::uint64_t sum_us, std::uint64_t n) {
  if (n == 0) {
    return std::nullopt;
  }
  return ms(static_cast<double>(sum_us) / static_cast<double>(n));
}

std::optional<double> clamped_percentile_ms(const rollup& r, double p) {
  const auto v = r.latency.percentile(rollup_rtt, p);
  if (!v) {
    return std::nullopt;
  }
  if (r.rtt_n == 0) {
    return ms(*v);
  }
  return ms(std::clamp(*v, static_cast<double>(r.rtt_min_us), static_cast<double>(r.rtt_max_us)));
}

}  // namespace

void merge(rollup& into, const rollup& from) {
  into.sent += from.sent;
  into.received += from.received;
  into.lost += from.lost;
  into.late += from.late;
  into.duplicates += from.duplicates;
  if (from.rtt_n > 0) {
    into.rtt_min_us = into.rtt_n == 0 ? from.rtt_min_us : std::min(into.rtt_min_us, from.rtt_min_us);
    into.rtt_max_us = into.rtt_n == 0 ? from.rtt_max_us : std::max(into.rtt_max_us, from.rtt_max_us);
  }
  into.rtt_n += from.rtt_n;
  into.rtt_sum_us += from.rtt_sum_us;
  into.process_n += from.process_n;
  into.process_sum_us += from.process_sum_us;
  into.ipdv_n += from.ipdv_n;
  into.ipdv_sum_us += from.ipdv_sum_us;
  into.latency.add_all(from.latency);
  if (from.worst > into.worst || (from.worst == into.worst && into.verdict.empty())) {
    into.worst = from.worst;
    into.verdict = from.verdict;
  }
}

rollup_summary summarize(const rollup& r) {
  rollup_summary s;
  const std::uint64_t resolved = r.received + r.lost;
  if (resolved > 0) {
    s.loss_pct = static_cast<double>(r.lost) * 100.0 / static_cast<double>(resolved);
  }
  if (r.rtt_n > 0) {
    s.rtt_min = ms(r.rtt_min_us);
    s.rtt_max = ms(r.rtt_max_us);
  }
  s.rtt_mean = mean_ms(r.rtt_sum_us, r.rtt_n);
  s.rtt_p10 = clamped_percentile_ms(r, 10);
  s.rtt_p25 = clamped_percentile_ms(r, 25);
  s.rtt_p50 = clamped_percentile_ms(r, 50);
  s.rtt_p75 = clamped_percentile_ms(r, 75);
  s.rtt_p90 = clamped_percentile_ms(r, 90);
  s.rtt_p99 = clamped_percentile_ms(r, 99);
  s.process_mean = mean_ms(r.process_sum_us, r.process_n);
  if (const auto p = r.latency.percentile(rollup_process, 95)) {
    s.process_p95 = ms(*p);
  }
  s.jitter = mean_ms(r.ipdv_sum_us, r.ipdv_n);
  s.mos = window_mos(r.received, r.lost, s.rtt_mean, s.jitter, s.loss_pct.value_or(0.0));
  return s;
}

std::int64_t minute_of(wall_time t) {
  constexpr std::int64_t minute_ns = 60'000'000'000;
  std::int64_t m = t.count() / minute_ns;
  if (t.count() % minute_ns < 0) {
    --m;  // floor for times before 1970
  }
  return m * 60;
}

bool minute_accumulator::move_to(std::int64_t minute, rollup& done) {
  bool finished = false;
  if (open_ && cur_.start_s != minute) {
    finish(done);
    finished = true;
  }
  if (!open_) {
    cur_.start_s = minute;
    open_ = true;
  }
  return finished;
}

void minute_accumulator::finish(rollup& done) {
  // The minute's histogram changes hands instead of being copied, and done's buffer (emptied) becomes the next
  // minute's. A caller that keeps `done` thus swaps two buffers that both keep their capacity; the recorder hands
  // `done` on to the writer's batch, so its buffer leaves with the row and the next minute's grows again.
  sparse_histogram spare = std::move(done.latency);
  spare.clear();
  done = std::move(cur_);
  cur_ = rollup{};
  cur_.latency = std::move(spare);
  open_ = false;
}

bool minute_accumulator::on_sent(wall_time t, rollup& done) {
  const bool finished = move_to(minute_of(t), done);
  ++cur_.sent;
  return finished;
}

bool minute_accumulator::on_sample(const sample& s, health status, rollup& done) {
  const bool finished = move_to(minute_of(s.wall), done);
  switch (s.status) {
    case probe_status::ok:
      ++cur_.received;
      if (s.rtt) {
        const std::uint32_t us = to_us(*s.rtt);
        cur_.rtt_min_us = cur_.rtt_n == 0 ? us : std::min(cur_.rtt_min_us, us);
        cur_.rtt_max_us = cur_.rtt_n == 0 ? us : std::max(cur_.rtt_max_us, us);
        ++cur_.rtt_n;
        cur_.rtt_sum_us += us;
        cur_.latency.add_value(rollup_rtt, us);
        if (has_prev_rtt_) {
          cur_.ipdv_sum_us += us > prev_rtt_us_ ? us - prev_rtt_us_ : prev_rtt_us_ - us;
          ++cur_.ipdv_n;
        }
        prev_rtt_us_ = us;
        has_prev_rtt_ = true;
      }
      if (s.process) {
        const std::uint32_t us = to_us(*s.process);
        ++cur_.process_n;
        cur_.process_sum_us += us;
        cur_.latency.add_value(rollup_process, us);
      }
      break;
    case probe_status::timeout:
    case probe_status::unreachable:
    case probe_status::error:
      ++cur_.lost;
      break;
    case probe_status::late:
      ++cur_.late;
      break;
    case probe_status::duplicate:
      ++cur_.duplicates;
      break;
  }
  if (status > cur_.worst || (status == cur_.worst && cur_.verdict != verdict_)) {
    cur_.worst = status;
    cur_.verdict = verdict_;  // reuses capacity; runs only when the verdict differs
  }
  return finished;
}

void minute_accumulator::set_verdict(std::string_view verdict) {
  if (verdict != verdict_) {
    verdict_.assign(verdict);
  }
}

bool minute_accumulator::close_if_ended(wall_time now, rollup& done) {
  if (!open_ || minute_of(now) <= cur_.start_s) {
    return false;
  }
  finish(done);
  return true;
}

bool minute_accumulator::close(rollup& done) {
  if (!open_) {
    return false;
  }
  finish(done);
  return true;
}

}  // namespace netstab::core
