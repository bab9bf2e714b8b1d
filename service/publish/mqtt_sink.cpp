#include "service/publish/mqtt_sink.hpp"

#include <algorithm>

#include "core/erase_first.hpp"
#include "core/json_text.hpp"
#include "core/path_payloads.hpp"

namespace netstab::service {

using core::nanos;

namespace {

// Room kept beyond a digest entry's length: its numbers' digits come and go between rebuilds, and an entry that
// no longer fits is reallocated (core::assign_fitted).
constexpr std::size_t digest_entry_room = 32;

}  // namespace

mqtt_sink::mqtt_sink(core::message_bus& bus, const core::topic_builder& topics, const core::clock& clk, options opt)
    : bus_(bus), topics_(topics), clock_(clk), opt_(opt), digest_topic_(topics.digest()) {
  buf_.reserve(1024);
}

mqtt_sink::cache& mqtt_sink::topics_of(const target_view& t) {
  if (cache* found = cache_.find(t)) return *found;
  cache c;
  c.slug = core::slug(t.spec().host);
  // A slot still holding another target's entry (a removal this sink was not told of) leaves the digest's order.
  if (cache_.at_slot(t.slot()) != nullptr) forget(t.slot());
  const nanos interval = t.spec().probe.interval;
  if (opt_.per_target && interval.count() > 0) {
    c.rate_milli =
        t.monitor().window_count() * std::uint64_t{1'000'000'000'000} / static_cast<std::uint64_t>(interval.count());
  }
  rate_milli_ += c.rate_milli;
  order_.push_back(t.slot());
  return cache_.put(t, std::move(c));
}

// Takes the entry at a slot out of the message rate, and out of the digest's order later, with every removal
// since, in one pass (drop_gone): a search per removal made removing n targets quadratic. The caller drops the
// entry.
void mqtt_sink::forget(std::uint32_t slot) {
  if (const cache* old = cache_.at_slot(slot)) rate_milli_ -= old->rate_milli;
  ++gone_[slot];
  if (++gone_count_ > order_.size() / 2) drop_gone();
}

void mqtt_sink::drop_gone() {
  core::erase_first(order_, gone_);
  gone_count_ = 0;
}

// Once per target interval unless stats.publish_interval_ms says otherwise. When every target publishing once per
// interval would exceed max_publish_rate messages a second, every target's period grows by the same factor: the
// total stays at the limit and a target with a shorter interval still publishes more often than one with a longer.
nanos mqtt_sink::stats_period(const target_view& t) const {
  if (opt_.publish_interval.count() > 0) return opt_.publish_interval;
  const nanos interval = t.spec().probe.interval;
  if (!over_limit()) return interval;
  const double factor = static_cast<double>(rate_milli_) / (1000.0 * opt_.max_publish_rate);
  return nanos(static_cast<nanos::rep>(static_cast<double>(interval.count()) * factor));
}

bool mqtt_sink::over_limit() const {
  return opt_.publish_interval.count() == 0 && opt_.max_publish_rate != 0 &&
         rate_milli_ > std::uint64_t{opt_.max_publish_rate} * 1000;
}

void mqtt_sink::on_sample(const target_view& t, const core::sample& s) {
  cache& c = topics_of(t);
  if (t.spec().probe.publish_samples) {
    buf_.clear();
    core::append_sample_json(buf_, t.spec().host, t.address(), s);
    bus_.publish(core::outgoing_message{topics_.sample(c.slug), buf_, opt_.qos_sample, false, {}});
  }
  const core::mono_time now = clock_.now();
  // Statistics follow resolved probes, at most once per interval (or the configured period).
  if (s.status != core::probe_status::duplicate && s.status != core::probe_status::late) {
    // A tenth of the period (at most half a probe interval) absorbs the loop's jitter, so a reply arriving a
    // little early does not push the publication a whole interval later.
    const nanos interval = t.spec().probe.interval;
    const nanos period = stats_period(t);
    const nanos tolerance = std::min(period / 10, interval / 2);
    if (!c.placed) {
      // The first sample places the target in its period: at once, or beyond max_publish_rate, where the period
      // spans k intervals, in interval (slot mod k) of it. The targets' first publications, and with them all
      // later ones, are spread over the k intervals: the limit holds from the start, and the targets do not all
      // publish in the same second of every period.
      c.placed = true;
      const nanos::rep k = over_limit() && interval.count() > 0 ? std::max<nanos::rep>(1, period / interval) : 1;
      c.last_stats = now - period + interval * (static_cast<nanos::rep>(t.slot()) % k);
    }
    if (now - c.last_stats >= period - tolerance) publish_stats(t);
  }
  if (opt_.digest_interval.count() > 0) publish_digest_if_due(now);
}

void mqtt_sink::publish_stats(const target_view& t) {
  cache& c = topics_of(t);
  const core::mono_time now = clock_.now();
  const core::wall_time wall = clock_.wall_now();
  c.last_stats = now;
  c.published = true;
  c.placed = true;
  const bool digest = digest_entries();
  // Without per-target topics only the primary window is needed, and only for the digest's entry.
  const std::size_t windows = opt_.per_target ? t.monitor().window_count() : (digest ? 1 : 0);
  for (std::size_t w = 0; w < windows; ++w) {
    buf_.clear();
    core::append_stats_json(buf_, t.spec().host, t.address(), wall, t.monitor().snapshot(now, w), {},
                            w == 0 ? &t.fault() : nullptr);
    if (w == 0 && digest) core::assign_fitted(c.digest_entry, buf_, digest_entry_room);
    if (!opt_.per_target) continue;
    // Window 0 is the primary window; the others publish under .../stats/<window>.
    std::string topic = w == 0 ? topics_.stats(c.slug) : topics_.stats(c.slug, t.monitor().window_length(w));
    bus_.publish(core::outgoing_message{std::move(topic), buf_, opt_.qos_stats, opt_.retain_stats, {}});
  }
  if (t.path_on() && opt_.per_target) publish_path(t);
  if (c.incidents_due) publish_incidents(t, opt_.qos_stats);
}

void mqtt_sink::publish_path(const target_view& t) {
  cache& c = topics_of(t);
  buf_.clear();
  core::append_path_json(buf_, t.spec().host, t.address(), clock_.wall_now(), t.traced_at(), t.path_rows(), t.fault());
  bus_.publish(core::outgoing_message{topics_.path(c.slug), buf_, opt_.qos_stats, true, {}});
}

void mqtt_sink::on_fault_change(const target_view* t, const core::fault_change& c) {
  publish_event(
      core::to_event(t != nullptr ? std::string_view(t->spec().host) : std::string_view(), c, clock_.wall_now()));
  if (t != nullptr) publish_stats(*t);  // a new verdict is published at once, as a status change is
}

void mqtt_sink::on_path_change(const target_view& t, const core::path_change& c) {
  if (auto ip = core::ip_address::parse(t.address())) {
    publish_event(core::to_event(t.spec().host, *ip, c.after, c.reason, clock_.wall_now()));
  }
  if (opt_.per_target) publish_path(t);
}

// At a (re)connect: the statistics a target published before, again (the broker may have lost its retained
// copy). A target that has not published yet gets its first statistics with its first sample (beyond
// max_publish_rate at its place in the period), so the first connect does not send one empty statistics message
// per target in a burst (10,000 of them at scale).
// Beyond max_publish_rate nothing is sent here: every target publishes again within its period anyway, and
// 10,000 at once is the burst the limit is there to prevent.
void mqtt_sink::republish_stats(const target_view& t) {
  if (over_limit()) return;
  if (const cache* c = cache_.find(t); c != nullptr && c->published) publish_stats(t);
}

// The digest is driven by the samples, not by a timer of its own: a stopped prober produces no samples, so a
// stopped process publishes nothing and no timer fires. The first digest goes one period after the first sample,
// when every target probed at least that often has an entry. The schedule advances by whole periods (no drift);
// after a pause longer than a period it restarts from now instead of publishing the missed ones. In parts, part k
// of n is due k/n of the way through the period, so the parts spread over it.
void mqtt_sink::publish_digest_if_due(core::mono_time now) {
  drop_gone();
  const nanos period = opt_.digest_interval;
  if (!digest_started_) {
    digest_started_ = true;
    digest_start_ = now + period;
    return;
  }
  if (now >= digest_start_ + period) {
    digest_start_ = now;
    digest_part_ = 0;
  }
  // Ends within one period's parts: after the last, the next period starts after now (checked above).
  while (true) {
    if (digest_part_ == 0) digest_parts_ = digest_part_count();
    const auto k = static_cast<nanos::rep>(digest_part_);
    if (now < digest_start_ + nanos(period.count() * k / static_cast<nanos::rep>(digest_parts_))) return;
    if (opt_.digest_part_size == 0) {
      publish_digest_whole();
    } else {
      publish_digest_part(now);
    }
    if (++digest_part_ == digest_parts_) {
      digest_part_ = 0;
      digest_start_ += period;
    }
  }
}

std::size_t mqtt_sink::digest_part_count() const {
  const std::size_t size = opt_.digest_part_size;
  return size == 0 || order_.empty() ? 1 : (order_.size() + size - 1) / size;
}

// The digest in one message: every target's entry, in the digest's order.
void mqtt_sink::publish_digest_whole() {
  entries_.clear();
  for (const std::uint32_t slot : order_) {
    if (const cache* c = cache_.at_slot(slot); c != nullptr && !c->digest_entry.empty()) {
      entries_.push_back(&c->digest_entry);
    }
  }
  std::string payload;
  core::append_digest_json(payload, clock_.wall_now(), opt_.digest_interval, entries_);
  bus_.publish(core::outgoing_message{digest_topic_, std::move(payload), opt_.qos_stats, opt_.retain_stats, {}});
}

// Part digest_part_ of digest_parts_: the targets at those places of the digest's order that have published
// statistics, each entry built now from its primary window (as publish_stats builds .../stats). The last part of
// a period clears the parts a larger set of targets left retained beyond it.
void mqtt_sink::publish_digest_part(core::mono_time now) {
  const std::size_t first = std::min(order_.size(), digest_part_ * opt_.digest_part_size);
  const std::size_t last = std::min(order_.size(), first + opt_.digest_part_size);
  part_targets_.clear();
  for (std::size_t i = first; i < last && lookup_; ++i) {
    const cache* c = cache_.at_slot(order_[i]);
    const target_view* t = lookup_(order_[i]);
    if (c != nullptr && c->published && t != nullptr && cache_.owner_at(order_[i]) == t) part_targets_.push_back(t);
  }
  const core::wall_time wall = clock_.wall_now();
  const core::digest_part part{digest_part_, digest_parts_};
  std::string payload;
  payload.reserve(part_bytes_ + part_bytes_ / 8);  // the last part's size: parts grow little between periods
  core::append_digest_head(payload, wall, opt_.digest_interval, part_targets_.size(), &part);
  for (std::size_t i = 0; i < part_targets_.size(); ++i) {
    const target_view& t = *part_targets_[i];
    if (i > 0) payload.push_back(',');
    core::append_stats_json(payload, t.spec().host, t.address(), wall, t.monitor().snapshot(now, 0), {}, &t.fault());
  }
  payload.append("]}");
  part_bytes_ = payload.size();
  bus_.publish(
      core::outgoing_message{topics_.digest(digest_part_), std::move(payload), opt_.qos_stats, opt_.retain_stats, {}});
  if (digest_part_ + 1 < digest_parts_) return;
  if (opt_.retain_stats) {
    for (std::size_t k = digest_parts_; k < digest_parts_retained_; ++k) {
      bus_.publish(core::outgoing_message{topics_.digest(k), "", opt_.qos_other, true, {}});
    }
  }
  digest_parts_retained_ = digest_parts_;
}

void mqtt_sink::publish_incidents(const target_view& t) { publish_incidents(t, opt_.qos_other); }

// Beyond max_publish_rate the list goes with the target's next statistics, spread over their period like them.
void mqtt_sink::republish_incidents(const target_view& t) {
  if (over_limit()) {
    topics_of(t).incidents_due = true;
  } else {
    publish_incidents(t, opt_.qos_stats);
  }
}

void mqtt_sink::publish_incidents(const target_view& t, int qos) {
  cache& c = topics_of(t);
  c.incidents_due = false;
  const auto& d = t.monitor().incidents();
  std::vector<core::incident> list(d.begin(), d.end());
  bus_.publish(
      core::outgoing_message{topics_.incidents(c.slug), core::incidents_json(t.spec().host, list), qos, true, {}});
}

void mqtt_sink::publish_event(const core::event& e) {
  bus_.publish(core::outgoing_message{topics_.events(), core::event_json(e), opt_.qos_other, false, {}});
}

void mqtt_sink::on_monitor_event(const target_view& t, const core::monitor_event& e) {
  publish_event(core::to_event(t.spec().host, e, clock_.wall_now()));
  if (e.what == core::monitor_event::kind::status_change) {
    publish_stats(t);  // a status change is published at once, not at the next period
  } else {
    publish_incidents(t);
  }
}

void mqtt_sink::clear_retained(const target_view& t) {
  cache& c = topics_of(t);
  bus_.publish(core::outgoing_message{topics_.stats(c.slug), "", opt_.qos_other, true, {}});
  for (std::size_t w = 1; w < t.monitor().window_count(); ++w) {
    bus_.publish(
        core::outgoing_message{topics_.stats(c.slug, t.monitor().window_length(w)), "", opt_.qos_other, true, {}});
  }
  bus_.publish(core::outgoing_message{topics_.incidents(c.slug), "", opt_.qos_other, true, {}});
  // Also when this process never published it: a path retained by an earlier run must not outlive the target.
  bus_.publish(core::outgoing_message{topics_.path(c.slug), "", opt_.qos_other, true, {}});
}

void mqtt_sink::on_target_event(const target_view& t, core::target_event what, std::string_view detail) {
  if (what == core::target_event::added) {
    (void)topics_of(t);  // the digest lists targets in the order they were added, not in the order they answer
    if (!announce_additions_) return;
  }
  if (what == core::target_event::removed) {
    if (keep_retained_of_.empty() || t.spec().host != keep_retained_of_) clear_retained(t);
    if (cache_.find(t) != nullptr) {
      forget(t.slot());
      cache_.erase(t);
    }
  }
  if (auto e = core::to_event(t.spec().host, what, detail, t.address(), clock_.wall_now())) publish_event(*e);
}

}  // namespace netstab::service
