#include "core/path_verdict.hpp"

#include <algorithm>
#include <utility>

namespace netstab::core {

namespace {

constexpr nanos min_period{std::chrono::seconds(1)};

// One hop of the path with its window: the reading's and the row's source.
struct hop_view {
  unsigned ttl = 0;
  std::optional<ip_address> address;
  segment where = segment::unknown;
  hop_table::hop* hop = nullptr;
  stats_snapshot stats;
};

std::vector<hop_view> view_hops(const verdict_input& in, const path_segments& segs, mono_time now) {
  std::vector<hop_view> out;
  const auto& hops = in.path->path.hops;
  out.reserve(hops.size());
  for (std::size_t i = 0; i < hops.size(); ++i) {
    hop_view v;
    v.ttl = static_cast<unsigned>(i + 1);
    v.address = hops[i];
    v.where = segs.hops[i];
    if (hops[i] && in.hops != nullptr) v.hop = in.hops->find(*hops[i]);
    if (v.hop != nullptr) v.stats = in.hops->snapshot(*v.hop, now);
    out.push_back(std::move(v));
  }
  return out;
}

hop_reading reading_of(const hop_view& v, mono_time now) {
  hop_reading r;
  r.ttl = v.ttl;
  r.address = v.address;
  r.where = v.where;
  r.received = v.stats.received;
  r.lost = v.stats.lost;
  r.loss_pct = v.stats.loss_pct;
  r.rtt_p50_ms = v.stats.rtt.p50;
  if (v.hop != nullptr) r.baseline_p50_ms = v.hop->baseline.baseline(now);
  return r;
}

bool trusted(const stats_snapshot& s, std::uint32_t min_samples) {
  return s.received + s.lost >= min_samples && s.rtt.p50.has_value();
}

hop_row row_of(unsigned ttl, const std::optional<ip_address>& address, segment where, const stats_snapshot& s) {
  hop_row r;
  r.ttl = ttl;
  r.address = address;
  r.where = where;
  r.sent = s.received + s.lost;
  r.lost = s.lost;
  r.loss_pct = s.loss_pct;
  r.rtt_p50_ms = s.rtt.p50;
  r.rtt_p95_ms = s.rtt.p95;
  return r;
}

}  // namespace

target_verdict::target_verdict(const target_verdict_config& cfg)
    : target_verdict(std::make_shared<const target_verdict_config>(cfg)) {}

target_verdict::target_verdict(std::shared_ptr<const target_verdict_config> cfg)
    : cfg_(std::move(cfg)), tracker_(cfg_->tracker), baseline_(cfg_->baseline_period) {}

std::optional<fault_change> target_verdict::evaluate(const verdict_input& in, mono_time now, wall_time wall,
                                                     nanos interval, std::vector<hop_row>* rows, verdict* judged) {
  next_ = now + std::max(interval, min_period);
  const stats_snapshot& st = *in.stats;
  const bool traced = in.path != nullptr && in.path->traced;
  path_segments segs;
  if (traced) segs = classify_path(in.path->path.hops, in.target, in.gateway, cfg_->segments);
  const std::vector<hop_view> views = traced ? view_hops(in, segs, now) : std::vector<hop_view>{};

  target_reading t;
  t.address = in.target;
  t.where = traced ? segs.target : segment::unknown;
  t.path_monitored = in.path != nullptr;
  t.status = in.status;
  t.received = st.received;
  t.lost = st.lost;
  t.loss_pct = st.loss_pct;
  t.rtt_p50_ms = st.rtt.p50;
  t.rtt_p95_ms = st.rtt.p95;
  t.process_p95_ms = st.process.p95;
  t.baseline_p50_ms = baseline_.baseline(now);
  std::vector<hop_reading> readings;
  readings.reserve(views.size());
  for (const hop_view& v : views) readings.push_back(reading_of(v, now));

  verdict judgement = judge(std::move(readings), t, cfg_->judge);
  auto change = tracker_.evaluate(judgement, now, wall);

  // Baselines learn from this window after it was judged against the earlier ones.
  if (trusted(st, cfg_->judge.min_samples)) baseline_.feed(now, *st.rtt.p50);
  for (const hop_view& v : views) {
    if (v.hop != nullptr && trusted(v.stats, cfg_->judge.min_samples)) v.hop->baseline.feed(now, *v.stats.rtt.p50);
  }
  if (rows != nullptr) {
    rows->clear();
    for (std::size_t i = 0; i < views.size(); ++i) {
      rows->push_back(row_of(views[i].ttl, views[i].address, views[i].where, views[i].stats));
      rows->back().rate_limited = i < judgement.hops.size() && judgement.hops[i].rate_limited();
    }
    if (traced) {
      const unsigned ttl = in.path->path.target_ttl.value_or(static_cast<unsigned>(views.size() + 1));
      rows->push_back(row_of(ttl, in.target, segs.target, st));
    }
  }
  if (judged != nullptr) *judged = std::move(judgement);
  return change;
}

void target_verdict::path_changed(hop_table& hops, const traced_path& now_path, unsigned first_changed) {
  baseline_.reset();
  if (first_changed == 0) return;
  for (std::size_t i = first_changed - 1; i < now_path.hops.size(); ++i) {
    if (!now_path.hops[i]) continue;
    if (hop_table::hop* h = hops.find(*now_path.hops[i])) h->baseline.reset();
  }
}

unsigned first_difference(const traced_path& a, const traced_path& b) {
  const std::size_t n = std::max(a.hops.size(), b.hops.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = i < a.hops.size() ? a.hops[i] : std::nullopt;
    const auto y = i < b.hops.size() ? b.hops[i] : std::nullopt;
    if (x != y) return static_cast<unsigned>(i + 1);
  }
  if (a.target_ttl != b.target_ttl) return static_cast<unsigned>(n + 1);
  return 0;
}

}  // namespace netstab::core
