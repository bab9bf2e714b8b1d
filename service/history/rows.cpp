#include "service/history/rows.hpp"

#include <cmath>
#include <vector>

#include "core/histogram_codec.hpp"
#include "core/mos.hpp"

namespace netstab::service::history {
namespace {

std::optional<std::int64_t> us(const std::optional<double>& ms) {
  if (!ms) return std::nullopt;
  return std::llround(*ms * 1000.0);
}

std::optional<double> ms(const statement& st, int col) {
  if (st.is_null(col)) return std::nullopt;
  return static_cast<double>(st.int64(col)) / 1000.0;
}

std::optional<double> mean_ms(std::int64_t sum_us, std::int64_t n) {
  if (n <= 0) return std::nullopt;
  return static_cast<double>(sum_us) / static_cast<double>(n) / 1000.0;
}

core::health to_health(std::int64_t v) {
  return v >= 2 ? core::health::bad : v == 1 ? core::health::warn : core::health::ok;
}

std::uint64_t u(const statement& st, int col) {
  const std::int64_t v = st.int64(col);
  return v < 0 ? 0 : static_cast<std::uint64_t>(v);
}

}  // namespace

void bind_rollup(statement& st, std::int64_t target_id, const core::rollup& r) {
  const core::rollup_summary s = core::summarize(r);
  const auto i64 = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  st.bind(1, target_id).bind(2, r.start_s);
  st.bind(3, i64(r.sent)).bind(4, i64(r.received)).bind(5, i64(r.lost)).bind(6, i64(r.late));
  st.bind(7, i64(r.duplicates)).bind(8, i64(r.rtt_n)).bind(9, i64(r.rtt_sum_us));
  if (r.rtt_n > 0) {
    st.bind(10, std::int64_t{r.rtt_min_us}).bind(11, std::int64_t{r.rtt_max_us});
  } else {
    st.bind_null(10).bind_null(11);
  }
  st.bind(12, i64(r.process_n)).bind(13, i64(r.process_sum_us)).bind(14, i64(r.ipdv_n)).bind(15, i64(r.ipdv_sum_us));
  st.bind(16, us(s.rtt_p10)).bind(17, us(s.rtt_p25)).bind(18, us(s.rtt_p50)).bind(19, us(s.rtt_p75));
  st.bind(20, us(s.rtt_p90)).bind(21, us(s.rtt_p99)).bind(22, us(s.process_p95));
  st.bind(23, static_cast<std::int64_t>(r.worst));
  st.bind_text_or_null(24, r.verdict);
  std::vector<std::uint8_t> blob;
  core::encode_histogram(r.latency, blob);
  st.bind_blob(25, blob);
}

namespace {

// Every column but the histogram.
void read_counters(const statement& st, int f, core::rollup& r) {
  r.start_s = st.int64(f);
  r.sent = u(st, f + 1);
  r.received = u(st, f + 2);
  r.lost = u(st, f + 3);
  r.late = u(st, f + 4);
  r.duplicates = u(st, f + 5);
  r.rtt_n = u(st, f + 6);
  r.rtt_sum_us = u(st, f + 7);
  r.rtt_min_us = static_cast<std::uint32_t>(st.int64(f + 8));
  r.rtt_max_us = static_cast<std::uint32_t>(st.int64(f + 9));
  r.process_n = u(st, f + 10);
  r.process_sum_us = u(st, f + 11);
  r.ipdv_n = u(st, f + 12);
  r.ipdv_sum_us = u(st, f + 13);
  r.worst = to_health(st.int64(f + 21));
  r.verdict = st.text(f + 22);
}

}  // namespace

bool read_rollup(const statement& st, int f, core::rollup& r) {
  read_counters(st, f, r);
  r.latency.clear();
  return core::decode_histogram_into(st.blob(f + 23), r.latency).ok();
}

bool merge_row(const statement& st, int f, core::rollup& into) {
  core::rollup part;  // its histogram stays empty and never allocates
  read_counters(st, f, part);
  core::merge(into, part);
  return core::decode_histogram_into(st.blob(f + 23), into.latency).ok();
}

core::history_point read_point(const statement& st, int f) {
  core::history_point p;
  p.ts = st.int64(f);
  p.sent = u(st, f + 1);
  p.received = u(st, f + 2);
  p.lost = u(st, f + 3);
  p.late = u(st, f + 4);
  p.duplicates = u(st, f + 5);
  core::rollup_summary& s = p.summary;
  const std::uint64_t resolved = p.received + p.lost;
  if (resolved > 0) s.loss_pct = static_cast<double>(p.lost) * 100.0 / static_cast<double>(resolved);
  const std::int64_t rtt_n = st.int64(f + 6);
  s.rtt_mean = mean_ms(st.int64(f + 7), rtt_n);
  if (rtt_n > 0) {
    s.rtt_min = ms(st, f + 8);
    s.rtt_max = ms(st, f + 9);
  }
  s.process_mean = mean_ms(st.int64(f + 11), st.int64(f + 10));
  s.jitter = mean_ms(st.int64(f + 13), st.int64(f + 12));
  s.rtt_p10 = ms(st, f + 14);
  s.rtt_p25 = ms(st, f + 15);
  s.rtt_p50 = ms(st, f + 16);
  s.rtt_p75 = ms(st, f + 17);
  s.rtt_p90 = ms(st, f + 18);
  s.rtt_p99 = ms(st, f + 19);
  s.process_p95 = ms(st, f + 20);
  s.mos = core::window_mos(p.received, p.lost, s.rtt_mean, s.jitter, s.loss_pct.value_or(0.0));
  p.worst = to_health(st.int64(f + 21));
  p.verdict = st.text(f + 22);
  return p;
}

}  // namespace netstab::service::history
