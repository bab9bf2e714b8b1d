#include "core/sequence_map.hpp"

#include <algorithm>
#include <bit>

namespace netstab::core {

namespace {
std::size_t round_up_pow2(std::size_t n) { return std::bit_ceil(std::max<std::size_t>(n, 2)); }
}  // namespace

sequence_map::sequence_map(std::size_t capacity)
    : ring_(round_up_pow2(capacity)), mask_(static_cast<std::uint32_t>(ring_.size() - 1)) {}

std::size_t sequence_map::capacity_for(nanos interval, nanos timeout, nanos late_grace) {
  // Probes stay interesting for timeout + late_grace after sending; one more slot
  // for the probe being sent, and a cap so that a tiny interval cannot ask for a huge ring.
  const auto span = timeout + late_grace;
  const auto per = std::max<std::int64_t>(interval.count(), 1);
  const auto needed = static_cast<std::size_t>(std::max<std::int64_t>(span.count(), 0) / per) + 2;
  return round_up_pow2(std::min<std::size_t>(needed, max_capacity));
}

std::uint32_t sequence_map::on_sent(mono_time sent_at, nanos timeout, wall_time user_tx,
                                    std::optional<probe_record>* evicted) {
  const std::uint32_t seq = next_seq_++;
  probe_record& r = slot(seq);
  if (r.state == probe_state::outstanding) {
    if (evicted != nullptr) *evicted = r;
    --outstanding_;
  }
  r = probe_record{seq, probe_state::outstanding, sent_at, sent_at + timeout, user_tx, std::nullopt};
  ++outstanding_;
  // The ring may have wrapped past first_outstanding_: never let it point further
  // back than the ring remembers, then on to the oldest record still outstanding.
  if (next_seq_ - first_outstanding_ > ring_.size()) {
    first_outstanding_ = next_seq_ - static_cast<std::uint32_t>(ring_.size());
    advance_first();
  }
  return seq;
}

void sequence_map::set_kernel_tx(std::uint32_t seq, wall_time ts) {
  probe_record& r = slot(seq);
  if (r.seq == seq && r.state != probe_state::empty) r.kernel_tx = ts;
}

match_result sequence_map::on_reply(std::uint32_t seq, probe_record* record) {
  // age is how many probes ago seq was sent (modulo 2^32): 0 or a huge value means
  // "not sent yet", more than the ring holds means "too old to remember".
  const std::uint32_t age = next_seq_ - seq;
  if (age == 0 || age > ring_.size()) return match_result::stale;
  probe_record& r = slot(seq);
  if (r.seq != seq || r.state == probe_state::empty) return match_result::stale;
  if (record != nullptr) *record = r;
  switch (r.state) {
    case probe_state::outstanding:
      r.state = probe_state::answered;
      --outstanding_;
      advance_first();
      return match_result::ok;
    case probe_state::timed_out:
      r.state = probe_state::late_answered;
      return match_result::late;
    case probe_state::answered:
    case probe_state::late_answered:
      return match_result::duplicate;
    case probe_state::empty:
      break;
  }
  return match_result::stale;
}

bool sequence_map::resolve(std::uint32_t seq, probe_record* record) {
  probe_record& r = slot(seq);
  if (r.seq != seq || r.state != probe_state::outstanding) return false;
  if (record != nullptr) *record = r;
  r.state = probe_state::timed_out;
  --outstanding_;
  advance_first();
  return true;
}

void sequence_map::advance_first() {
  while (first_outstanding_ != next_seq_) {
    const probe_record& r = slot(first_outstanding_);
    if (r.seq == first_outstanding_ && r.state == probe_state::outstanding) break;
    ++first_outstanding_;
  }
}

std::optional<mono_time> sequence_map::next_deadline() const {
  // Deadlines do not decrease with the sequence, so the oldest outstanding probe expires first.
  if (first_outstanding_ == next_seq_) return std::nullopt;
  return slot(first_outstanding_).deadline;
}

void sequence_map::forget_outstanding() {
  std::fill(ring_.begin(), ring_.end(), probe_record{});
  first_outstanding_ = next_seq_;
  outstanding_ = 0;
}

void sequence_map::resize(std::size_t capacity) {
  std::vector<probe_record> old = std::move(ring_);
  const std::uint32_t old_mask = mask_;
  ring_.assign(round_up_pow2(capacity), probe_record{});
  mask_ = static_cast<std::uint32_t>(ring_.size() - 1);
  const auto keep = static_cast<std::uint32_t>(std::min<std::size_t>(ring_.size(), old.size()));
  outstanding_ = 0;
  for (std::uint32_t i = keep; i > 0; --i) {
    const std::uint32_t s = next_seq_ - i;
    const probe_record& r = old[s & old_mask];
    if (r.seq == s && r.state != probe_state::empty) {
      ring_[s & mask_] = r;
      if (r.state == probe_state::outstanding) ++outstanding_;
    }
  }
  if (next_seq_ - first_outstanding_ > ring_.size())
    first_outstanding_ = next_seq_ - static_cast<std::uint32_t>(ring_.size());
  advance_first();
}

}  // namespace netstab::core
