#include "core/window_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/jitter.hpp"

namespace netstab::core {
namespace {

constexpr std::array<latency_series, 2> all_series{latency_series::rtt, latency_series::process};

constexpr unsigned channel(latency_series s) { return static_cast<unsigned>(s); }

// Accumulated latency figures of the buckets that are inside the window.
struct latency_acc {
  std::uint64_t count = 0;
  std::uint64_t sum_us = 0;
  double sumsq_us2 = 0.0;
  std::uint32_t min_us = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t max_us = 0;
};

double us_to_ms(double us) { return us / 1000.0; }

double loss_pct_of(std::uint64_t lost, std::uint64_t received) {
  const std::uint64_t resolved = received + lost;
  return resolved == 0 ? 0.0 : static_cast<double>(lost) / static_cast<double>(resolved) * 100.0;
}

latency_summary summarize(const latency_acc& acc, const sparse_histogram& hist, unsigned ch) {
  latency_summary out;
  if (acc.count == 0) {
    return out;
  }
  const auto n = static_cast<double>(acc.count);
  const double sum = static_cast<double>(acc.sum_us);
  const double mean = sum / n;
  const double variance = std::max(0.0, (acc.sumsq_us2 - sum * mean) / n);
  out.min = us_to_ms(acc.min_us);
  out.max = us_to_ms(acc.max_us);
  out.avg = us_to_ms(mean);
  out.stddev = us_to_ms(std::sqrt(variance));
  const auto pct = [&](double p) -> std::optional<double> {
    const auto v = hist.percentile(ch, p, acc.count);
    if (!v) {
      return std::nullopt;
    }
    return us_to_ms(std::clamp(*v, static_cast<double>(acc.min_us), static_cast<double>(acc.max_us)));
  };
  out.p50 = pct(50.0);
  out.p95 = pct(95.0);
  out.p99 = pct(99.0);
  return out;
}

}  // namespace

window_stats::window_stats(nanos window, unsigned buckets) : window_(window), bucket_len_(0) {
  if (buckets == 0 || buckets > max_buckets) {
    throw std::invalid_argument("a window needs 1 to 64 buckets");
  }
  if (window.count() < static_cast<nanos::rep>(buckets)) {
    throw std::invalid_argument("window is shorter than its bucket count in nanoseconds");
  }
  bucket_len_ = window / buckets;
  buckets_.resize(buckets);
}

std::int64_t window_stats::epoch_of(mono_time t) const {
  const auto q = t.count() / bucket_len_.count();
  return (t.count() % bucket_len_.count() < 0) ? q - 1 : q;  // floor division
}

std::size_t window_stats::slot_of(std::int64_t epoch) const {
  const auto b = static_cast<std::int64_t>(buckets_.size());
  return static_cast<std::size_t>(((epoch % b) + b) % b);
}

window_stats::bucket* window_stats::bucket_for(mono_time t) {
  const std::int64_t e = epoch_of(t);
  const auto b = static_cast<std::int64_t>(buckets_.size());
  if (!started_) {
    started_ = true;
    head_epoch_ = e;
  } else if (e > head_epoch_) {
    const std::int64_t steps = std::min(e - head_epoch_, b);
    for (std::int64_t k = 1; k <= steps; ++k) {
      expire(slot_of(head_epoch_ + k));
    }
    head_epoch_ = e;
  } else if (e <= head_epoch_ - b) {
    return nullptr;
  }
  return &buckets_[slot_of(e)];
}

void window_stats::expire(std::size_t slot) {
  bucket& b = buckets_[slot];
  totals_.sent -= b.sent;
  totals_.received -= b.received;
  totals_.lost -= b.lost;
  totals_.rto -= b.rto;
  totals_.late -= b.late;
  totals_.duplicates -= b.duplicates;
  totals_.ipdv_count -= b.ipdv_count;
  totals_.ipdv_sum_us -= b.ipdv_sum_us;
  const auto first = static_cast<unsigned>(slot) * 2;
  for (const auto s : all_series) {
    const unsigned c = channel(s);
    totals_.latency_count[c] -= b.count[c];
    slots_.visit(first + c, [&](std::uint16_t bin, std::uint32_t n) { aggregate_.remove(c, bin, n); });
  }
  slots_.clear_channels(first, first + 2);
  b = bucket{};
}

void window_stats::add_latency(bucket& b, latency_series s, std::uint32_t us) {
  const unsigned c = channel(s);
  if (b.count[c] == 0) {
    b.min_us[c] = us;
    b.max_us[c] = us;
  } else {
    b.min_us[c] = std::min(b.min_us[c], us);
    b.max_us[c] = std::max(b.max_us[c], us);
  }
  ++b.count[c];
  b.sum_us[c] += us;
  b.sumsq_us2[c] += static_cast<double>(us) * static_cast<double>(us);
  const std::uint16_t bin = histogram_bin(us);
  const auto slot = static_cast<unsigned>(&b - buckets_.data());
  slots_.add(slot * 2 + c, bin);
  aggregate_.add(c, bin);
  ++totals_.latency_count[c];
}

void window_stats::on_sent(mono_time t) {
  if (bucket* b = bucket_for(t)) {
    ++b->sent;
    ++totals_.sent;
  }
}

void window_stats::on_received(mono_time at, std::optional<std::uint32_t> rtt_us,
                               std::optional<std::uint32_t> process_us, std::optional<std::uint32_t> ipdv_us) {
  bucket* b = bucket_for(at);
  if (b == nullptr) {
    return;
  }
  ++b->received;
  ++totals_.received;
  if (rtt_us) {
    add_latency(*b, latency_series::rtt, *rtt_us);
  }
  if (process_us) {
    add_latency(*b, latency_series::process, *process_us);
  }
  if (ipdv_us) {
    ++b->ipdv_count;
    b->ipdv_sum_us += *ipdv_us;
    ++totals_.ipdv_count;
    totals_.ipdv_sum_us += *ipdv_us;
  }
}

void window_stats::on_lost(mono_time at, bool timeout) {
  bucket* b = bucket_for(at);
  if (b == nullptr) {
    return;
  }
  ++b->lost;
  ++totals_.lost;
  if (timeout) {
    ++b->rto;
    ++totals_.rto;
  }
}

void window_stats::on_late(mono_time at) {
  if (bucket* b = bucket_for(at)) {
    ++b->late;
    ++totals_.late;
  }
}

void window_stats::on_duplicate(mono_time at) {
  if (bucket* b = bucket_for(at)) {
    ++b->duplicates;
    ++totals_.duplicates;
  }
}

std::optional<double> window_stats::percentile_ms(latency_series s, double p) const {
  const unsigned c = channel(s);
  if (totals_.latency_count[c] == 0) {
    return std::nullopt;
  }
  // At the head every slot is inside the ring, so min / max span all buckets.
  std::uint32_t lo = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t hi = 0;
  for (const bucket& b : buckets_) {
    if (b.count[c] > 0) {
      lo = std::min(lo, b.min_us[c]);
      hi = std::max(hi, b.max_us[c]);
    }
  }
  const auto v = aggregate_.percentile(c, p, totals_.latency_count[c]);
  if (!v) {
    return std::nullopt;
  }
  return us_to_ms(std::clamp(*v, static_cast<double>(lo), static_cast<double>(hi)));
}

bool window_stats::contains(mono_time now, mono_time t) const {
  const std::int64_t e = epoch_of(t);
  const std::int64_t cur = epoch_of(now);
  return e > cur - static_cast<std::int64_t>(buckets_.size());
}

void window_stats::fill(mono_time now, stats_snapshot& out) const {
  out.window = window_;
  out.sent = out.received = out.lost = out.duplicates = out.late = out.rto = 0;
  out.loss_pct = 0.0;
  out.rtt = latency_summary{};
  out.process = latency_summary{};
  out.jitter_ms.reset();
  if (!started_) {
    return;
  }
  const auto b = static_cast<std::int64_t>(buckets_.size());
  const std::int64_t oldest = epoch_of(now) - b + 1;
  const std::size_t head_slot = slot_of(head_epoch_);
  const bool all_inside = head_epoch_ - b + 1 >= oldest;

  std::array<latency_acc, 2> acc{};
  std::uint64_t ipdv_count = 0;
  std::uint64_t ipdv_sum = 0;
  sparse_histogram partial;  // only filled when some bucket has left the window
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    const auto back = static_cast<std::int64_t>((head_slot + buckets_.size() - i) % buckets_.size());
    if (head_epoch_ - back < oldest) {
      continue;
    }
    const bucket& k = buckets_[i];
    out.sent += k.sent;
    out.received += k.received;
    out.lost += k.lost;
    out.rto += k.rto;
    out.late += k.late;
    out.duplicates += k.duplicates;
    ipdv_count += k.ipdv_count;
    ipdv_sum += k.ipdv_sum_us;
    for (const auto s : all_series) {
      const unsigned c = channel(s);
      if (k.count[c] == 0) {
        continue;
      }
      latency_acc& a = acc[c];
      a.count += k.count[c];
      a.sum_us += k.sum_us[c];
      a.sumsq_us2 += k.sumsq_us2[c];
      a.min_us = std::min(a.min_us, k.min_us[c]);
      a.max_us = std::max(a.max_us, k.max_us[c]);
    }
    if (!all_inside) {
      for (const auto s : all_series) {
        const unsigned c = channel(s);
        slots_.visit(static_cast<unsigned>(i) * 2 + c,
                     [&](std::uint16_t bin, std::uint32_t n) { partial.add(c, bin, n); });
      }
    }
  }
  out.loss_pct = loss_pct_of(out.lost, out.received);
  const sparse_histogram& hist = all_inside ? aggregate_ : partial;
  out.rtt = summarize(acc[channel(latency_series::rtt)], hist, channel(latency_series::rtt));
  out.process = summarize(acc[channel(latency_series::process)], hist, channel(latency_series::process));
  out.jitter_ms = ipdv_mean_ms(ipdv_sum, ipdv_count);
}

void window_stats::fill_verdict(mono_time now, stats_snapshot& out) const {
  if (!started_ || head_epoch_ < epoch_of(now)) {
    fill(now, out);
    return;
  }
  out.window = window_;
  out.sent = totals_.sent;
  out.received = totals_.received;
  out.lost = totals_.lost;
  out.rto = totals_.rto;
  out.late = totals_.late;
  out.duplicates = totals_.duplicates;
  out.loss_pct = loss_pct_of(out.lost, out.received);
  out.rtt = latency_summary{};
  out.process = latency_summary{};
  out.jitter_ms.reset();
  out.rtt.p50 = percentile_ms(latency_series::rtt, 50.0);
  out.rtt.p95 = percentile_ms(latency_series::rtt, 95.0);
  out.process.p95 = percentile_ms(latency_series::process, 95.0);
}

std::size_t window_stats::memory_bytes() const {
  return sizeof(*this) + buckets_.capacity() * sizeof(bucket) + slots_.heap_bytes() + aggregate_.heap_bytes();
}

}  // namespace netstab::core
