#include "core/verdict.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

#include "core/verdict_text.hpp"

namespace netstab::core {
namespace {

// One hop's part in the judgment of one metric.
struct point {
  bool judged = false;  // enough data to take part
  bool shows = false;   // at or above the carry level
  bool own = false;     // degraded by its own measure (what makes it rate-limited when it does not carry)
};

// Where the degradation starts: the index of the first hop of the carrying run, or hops.size() for the target.
struct placement {
  std::size_t start = 0;
  bool any_judged = false;
};

placement place(std::span<const point> pts) {
  placement p{pts.size(), false};
  for (std::size_t k = pts.size(); k-- > 0;) {
    if (!pts[k].judged) continue;  // silent or thin hops neither confirm nor break a carry
    if (!pts[k].shows) break;
    p.start = k;
  }
  p.any_judged = std::any_of(pts.begin(), pts.end(), [](const point& q) { return q.judged; });
  return p;
}

std::uint64_t resolved(std::uint64_t received, std::uint64_t lost) { return received + lost; }

double significance(const verdict_config& cfg, double baseline_ms) {
  return std::max(cfg.excess_ms, baseline_ms * cfg.excess_pct / 100.0);
}

// The target's latency state: degraded or not, and its excess over the baseline when it has one.
struct latency_state {
  bool degraded = false;
  std::optional<double> excess_ms;
};

latency_state target_latency(const target_reading& t, const verdict_config& cfg) {
  latency_state s;
  if (t.rtt_p50_ms && t.baseline_p50_ms) {
    s.excess_ms = *t.rtt_p50_ms - *t.baseline_p50_ms;
    s.degraded = *s.excess_ms >= significance(cfg, *t.baseline_p50_ms);
  } else if (t.rtt_p95_ms) {
    s.degraded = *t.rtt_p95_ms > cfg.rtt_p95_ms;
  }
  return s;
}

// Whether a hop that lost `lost` of `n` resolved probes shows a loss rate of `level` (a fraction): it lost at
// least one probe, and no fewer than the level's expected count less noise_sd binomial standard deviations.
// Without the allowance, a hop on a path losing 8% breaks the carry in about one window of eight at 60 probes by
// chance alone (docs/verdict.md).
bool shows_loss(std::uint64_t lost, std::uint64_t n, double level, double noise_sd) {
  if (lost == 0) return level <= 0.0;
  const auto count = static_cast<double>(n);
  const double sd = std::sqrt(count * level * (1.0 - std::min(level, 1.0)));
  return static_cast<double>(lost) >= level * count - noise_sd * sd;
}

std::vector<point> loss_points(std::span<const hop_reading> hops, const target_reading& t, const verdict_config& cfg) {
  std::vector<point> pts(hops.size());
  const double level = cfg.carry_share * t.loss_pct / 100.0;
  for (std::size_t i = 0; i < hops.size(); ++i) {
    const hop_reading& h = hops[i];
    const std::uint64_t n = resolved(h.received, h.lost);
    pts[i].judged = h.address && n >= cfg.min_samples;
    pts[i].shows = shows_loss(h.lost, n, level, cfg.carry_noise_sd);
    pts[i].own = h.loss_pct > cfg.loss_pct;
  }
  return pts;
}

std::vector<point> latency_points(std::span<const hop_reading> hops, const latency_state& target,
                                  const verdict_config& cfg) {
  std::vector<point> pts(hops.size());
  for (std::size_t i = 0; i < hops.size(); ++i) {
    const hop_reading& h = hops[i];
    if (!h.address || h.received < cfg.min_samples || !h.rtt_p50_ms || !h.baseline_p50_ms) continue;
    const double excess = *h.rtt_p50_ms - *h.baseline_p50_ms;
    pts[i].judged = true;
    pts[i].own = excess >= significance(cfg, *h.baseline_p50_ms);
    pts[i].shows = target.excess_ms ? excess >= cfg.carry_share * *target.excess_ms : pts[i].own;
  }
  return pts;
}

// Flags the judged hops before `end` that are degraded on their own: their degradation does not carry.
void flag_rate_limited(std::span<const point> pts, std::size_t end, std::vector<hop_judgment>& out, bool loss) {
  for (std::size_t i = 0; i < end && i < pts.size(); ++i) {
    if (!pts[i].judged || !pts[i].own) continue;
    (loss ? out[i].rate_limited_loss : out[i].rate_limited_latency) = true;
  }
}

std::string value_phrase(fault_metric m, const target_reading& t, const latency_state& lat, const verdict_config& cfg) {
  if (m == fault_metric::loss) return "loss " + text_fixed1(t.loss_pct) + "%";
  if (lat.excess_ms) return "latency +" + text_fixed1(*lat.excess_ms) + " ms over baseline";
  return "p95 rtt " + text_fixed1(t.rtt_p95_ms.value_or(0.0)) + " ms > " + text_short(cfg.rtt_p95_ms) + " ms";
}

// TTLs of the judged hops before `end` that are not rate-limited in this metric.
std::vector<unsigned> clean_ttls(std::span<const point> pts, std::span<const hop_reading> hops, std::size_t end) {
  std::vector<unsigned> ttls;
  for (std::size_t i = 0; i < end; ++i) {
    if (pts[i].judged && !pts[i].own) ttls.push_back(hops[i].ttl);
  }
  return ttls;
}

// TTLs of the unjudged hops between the last judged hop before `start` and `start`: the degradation may begin
// at any of them as well.
std::vector<unsigned> gap_ttls(std::span<const point> pts, std::span<const hop_reading> hops, std::size_t start) {
  std::size_t k = start;
  while (k > 0 && !pts[k - 1].judged) --k;
  std::vector<unsigned> ttls;
  for (std::size_t i = k; i < start; ++i) ttls.push_back(hops[i].ttl);
  return ttls;
}

std::vector<unsigned> limited_ttls(std::span<const hop_judgment> judged, bool loss, std::size_t end) {
  std::vector<unsigned> ttls;
  for (std::size_t i = 0; i < end && i < judged.size(); ++i) {
    if (loss ? judged[i].rate_limited_loss : judged[i].rate_limited_latency) ttls.push_back(judged[i].ttl);
  }
  return ttls;
}

// Everything a placed fault's text needs.
struct placed_input {
  fault_metric metric;
  std::span<const hop_reading> hops;
  std::span<const point> pts;
  placement where;
  const target_reading* target;
  const latency_state* lat;
  const verdict_config* cfg;
};

void locate(fault& f, const placed_input& in) {
  const target_reading& t = *in.target;
  const std::size_t n = in.hops.size();
  if ((n > 0 && !in.where.any_judged) || (n == 0 && t.where == segment::unknown)) {
    f.where = segment::unknown;
    f.headline += " to the target (" + t.address.text() + ")";
    append_part(f.context, n > 0              ? "no hop has enough data to place it"
                           : t.path_monitored ? "path not traced yet"
                                              : "path monitoring is off");
    return;
  }
  if (in.where.start < n) {
    const hop_reading& h = in.hops[in.where.start];
    f.where = h.where;
    f.hop = h.ttl;
    f.address = h.address;
    f.headline += " from hop " + std::to_string(h.ttl) + " (" + h.address->text() + ", " +
                  std::string(segment_label(h.where)) + ") to the target";
  } else {
    f.where = t.where;
    f.address = t.address;
    f.headline += " at the target (" + t.address.text();
    if (t.where != segment::remote) f.headline += ", " + std::string(segment_label(t.where));
    f.headline += ")";
  }
}

fault placed_fault(const placed_input& in, std::span<const hop_judgment> judged) {
  const target_reading& t = *in.target;
  fault f;
  f.metric = in.metric;
  f.level = std::max(health::warn, t.status);
  f.value = in.metric == fault_metric::loss ? t.loss_pct : in.lat->excess_ms.value_or(t.rtt_p95_ms.value_or(0.0));
  f.headline = value_phrase(in.metric, t, *in.lat, *in.cfg);
  locate(f, in);
  const std::size_t end = in.where.start;  // judged hops before the carrying run: clean or rate-limited
  append_part(f.context, clean_phrase(clean_ttls(in.pts, in.hops, end)));
  if (in.where.any_judged) append_part(f.context, no_data_phrase(gap_ttls(in.pts, in.hops, end)));
  append_part(f.context, rate_limited_phrase(limited_ttls(judged, in.metric == fault_metric::loss, end), in.metric));
  return f;
}

fault host_fault(const target_reading& t, double gap, const verdict_config& cfg) {
  fault f;
  f.where = segment::host;
  f.metric = fault_metric::host;
  f.level = std::max(health::warn, t.status);
  f.value = gap;
  f.headline = "host slow: process p95 " + text_fixed1(t.process_p95_ms.value_or(0.0)) + " ms vs rtt p95 " +
               text_fixed1(t.rtt_p95_ms.value_or(0.0)) + " ms (+" + text_fixed1(gap) + " ms)";
  if (t.loss_pct > cfg.loss_pct) {
    f.context = "loss " + text_fixed1(t.loss_pct) + "% comes from the host, not the network";
  }
  return f;
}

fault ok_fault(std::span<const hop_judgment> judged) {
  fault f;
  f.headline = "ok";
  append_part(f.context, rate_limited_phrase(limited_ttls(judged, true, judged.size()), fault_metric::loss));
  append_part(f.context, rate_limited_phrase(limited_ttls(judged, false, judged.size()), fault_metric::latency));
  return f;
}

std::optional<double> host_gap(const target_reading& t, const latency_state& lat, const verdict_config& cfg) {
  if (lat.degraded || !t.process_p95_ms || !t.rtt_p95_ms) return std::nullopt;
  const double gap = *t.process_p95_ms - *t.rtt_p95_ms;
  if (gap < cfg.host_gap_ms) return std::nullopt;
  return gap;
}

void finish(fault& f) {
  f.reason = f.headline;
  append_part(f.reason, f.context);
}

}  // namespace

verdict_config verdict_config_from(const status_thresholds& t) {
  verdict_config c;
  c.loss_pct = t.loss_warn_pct;
  c.rtt_p95_ms = t.rtt_p95_warn_ms;
  c.min_samples = t.min_samples;
  return c;
}

std::string_view to_string(fault_metric m) {
  switch (m) {
    case fault_metric::none:
      return "none";
    case fault_metric::host:
      return "host";
    case fault_metric::latency:
      return "latency";
    case fault_metric::loss:
      return "loss";
  }
  return "none";
}

bool same_fault(const fault& a, const fault& b) {
  return a.where == b.where && a.metric == b.metric && a.hop == b.hop && a.address == b.address;
}

bool more_severe(const fault& a, const fault& b) {
  if (a.level != b.level) return a.level > b.level;
  if (a.metric != b.metric) return a.metric > b.metric;
  return a.value > b.value;
}

verdict judge(std::vector<hop_reading> hops, const target_reading& target, const verdict_config& cfg) {
  std::stable_sort(hops.begin(), hops.end(), [](const hop_reading& a, const hop_reading& b) { return a.ttl < b.ttl; });
  verdict v;
  v.hops.resize(hops.size());
  for (std::size_t i = 0; i < hops.size(); ++i) v.hops[i].ttl = hops[i].ttl;
  if (resolved(target.received, target.lost) < cfg.min_samples) {
    v.f.headline = v.f.reason = "too few samples";
    return v;
  }
  v.judged = true;
  const latency_state lat = target_latency(target, cfg);
  const std::vector<point> loss_pts = loss_points(hops, target, cfg);
  const std::vector<point> lat_pts = latency_points(hops, lat, cfg);
  const bool lossy = target.loss_pct > cfg.loss_pct;
  const placement loss_at = place(loss_pts);
  const placement lat_at = place(lat_pts);
  flag_rate_limited(loss_pts, lossy ? loss_at.start : hops.size(), v.hops, true);
  flag_rate_limited(lat_pts, lat.degraded ? lat_at.start : hops.size(), v.hops, false);
  for (std::size_t i = 0; i < hops.size(); ++i) {
    v.hops[i].judged_loss = loss_pts[i].judged;
    v.hops[i].judged_latency = lat_pts[i].judged;
  }
  if (const auto gap = host_gap(target, lat, cfg)) {
    v.f = host_fault(target, *gap, cfg);
  } else if (lossy) {
    v.f = placed_fault({fault_metric::loss, hops, loss_pts, loss_at, &target, &lat, &cfg}, v.hops);
  } else if (lat.degraded) {
    v.f = placed_fault({fault_metric::latency, hops, lat_pts, lat_at, &target, &lat, &cfg}, v.hops);
  } else {
    v.f = ok_fault(v.hops);
  }
  finish(v.f);
  return v;
}

}  // namespace netstab::core
