#include "core/fault_tracker.hpp"

#include <algorithm>
#include <utility>

#include "core/verdict_text.hpp"

namespace netstab::core {
namespace {

bool is_ok(const fault& f) { return f.where == segment::ok; }

}  // namespace

std::optional<fault_change> fault_tracker::evaluate(const fault& raw, mono_time now, wall_time wall) {
  return is_ok(raw) ? on_ok(raw, wall) : on_fault(raw, now, wall);
}

std::optional<fault_change> fault_tracker::evaluate(const verdict& v, mono_time now, wall_time wall) {
  if (!v.judged) return std::nullopt;
  return evaluate(v.f, now, wall);
}

const fault& fault_tracker::worst() const {
  static const fault none;
  return worst_ ? *worst_ : none;
}

void fault_tracker::set_worst(const fault& f) {
  if (worst_) {
    *worst_ = f;
  } else {
    worst_ = std::make_unique<fault>(f);
  }
}

nanos fault_tracker::duration(mono_time now) const {
  return is_ok(reported_) ? nanos{0} : std::max(nanos{0}, now - reported_mono_);
}

std::optional<fault_change> fault_tracker::on_fault(const fault& raw, mono_time now, wall_time wall) {
  ok_count_ = 0;
  const bool reporting_ok = is_ok(reported_);
  if (!reporting_ok && same_fault(raw, reported_)) {
    refresh(raw, wall);
    pending_.reset();
    return std::nullopt;
  }
  // While ok is reported any fault confirms a degradation; while a fault is reported only the same new one does.
  const bool continues = pending_ && (reporting_ok || same_fault(pending_->f, raw));
  if (continues) {
    pending_->f = raw;
    ++pending_->count;
  } else if (pending_) {
    *pending_ = candidate{raw, 1, now, wall};
  } else {
    pending_ = std::make_unique<candidate>(candidate{raw, 1, now, wall});
  }
  // Blame that moves to another segment needs as much evidence as clearing does: a short window's noise can
  // make a lossy hop look clean for a few evaluations, and the verdict a user quotes must not wander.
  const bool moves_segment = !reporting_ok && raw.where != reported_.where;
  const std::uint32_t needed = moves_segment ? std::max(cfg_.confirm_after, cfg_.clear_after) : cfg_.confirm_after;
  if (pending_->count < std::max<std::uint32_t>(1, needed)) return std::nullopt;
  const candidate confirmed = std::move(*pending_);
  return report(confirmed.f, confirmed.first_mono, confirmed.first_wall, wall);
}

std::optional<fault_change> fault_tracker::on_ok(const fault& raw, wall_time wall) {
  pending_.reset();
  if (is_ok(reported_)) {
    refresh(raw, wall);
    return std::nullopt;
  }
  if (++ok_count_ < std::max<std::uint32_t>(1, cfg_.clear_after)) return std::nullopt;
  return report(raw, mono_time{}, wall, wall);
}

std::optional<fault_change> fault_tracker::report(fault next, mono_time since_mono, wall_time since_wall,
                                                  wall_time wall) {
  fault_change change;
  change.from = reported_;
  const bool new_degradation = is_ok(reported_) && !is_ok(next);
  if (is_ok(next)) {
    next.since.reset();
  } else if (!next.since || since_wall < *next.since) {
    next.since = since_wall;  // a raw fault that knows an earlier start (the agent's) keeps it
  }
  next.reason = compose_reason(next, wall);
  if (new_degradation || (!is_ok(next) && more_severe(next, worst()))) set_worst(next);
  reported_ = std::move(next);
  reported_mono_ = since_mono;
  pending_.reset();
  ok_count_ = 0;
  change.to = reported_;
  return change;
}

void fault_tracker::refresh(const fault& raw, wall_time wall) {
  const std::optional<wall_time> since = reported_.since;
  reported_ = raw;
  reported_.since = since;
  reported_.reason = compose_reason(reported_, wall);
  if (!is_ok(reported_) && more_severe(reported_, worst())) set_worst(reported_);
}

}  // namespace netstab::core
