#pragma once
// Matches echo replies to the probes one target has sent.
//
// Owns a ring of probe records indexed by the low bits of the 32-bit per-target
// sequence number. Invariants: the record for sequence s lives in slot
// s & (capacity - 1) until sequence s + capacity overwrites it; a reply whose
// sequence no longer owns its slot is "stale" (older than the ring remembers).
// The wire carries only the low 16 bits of the sequence, but matching uses the
// full 32 bits carried in netstab's payload block, so the 16-bit wrap is harmless
// and 32-bit wrap is handled with modular arithmetic.
//
// Capacity is chosen by the prober to cover timeout + a grace period for late
// replies at the target's interval, so a slot is never reused while its probe can
// still time out. Single-threaded: the loop thread only.
//
// Deadlines must not decrease in sequence order (the caller sends with one timeout
// per target, and sent_at is monotonic). That makes the oldest outstanding probe
// the one with the earliest deadline: first_outstanding_ is kept pointing at it (or
// at next_seq_ when nothing is outstanding), and the number of outstanding probes
// is counted as it changes, so next_deadline() and outstanding() cost O(1) even
// when tens of thousands of probes are in flight (1 ms interval, 60 s timeout).
#include <cstdint>
#include <optional>
#include <vector>

#include "core/time.hpp"

namespace netstab::core {

enum class probe_state : std::uint8_t { empty, outstanding, answered, timed_out, late_answered };

struct probe_record {
  std::uint32_t seq = 0;
  probe_state state = probe_state::empty;
  mono_time sent_at{};                 // monotonic clock just before the send call
  mono_time deadline{};                // sent_at + timeout
  wall_time user_tx{};                 // realtime clock just before the send call
  std::optional<wall_time> kernel_tx;  // kernel transmit timestamp, when the kernel gave one
};

enum class match_result : std::uint8_t {
  ok,         // first reply to an outstanding probe
  late,       // first reply to a probe already counted as timed out
  duplicate,  // another reply to a probe already answered (in time or late)
  stale,      // sequence unknown: never sent, or too old for the ring
};

class sequence_map {
 public:
  // capacity is rounded up to a power of two, at least 2.
  explicit sequence_map(std::size_t capacity);

  // The ring a target needs: one slot per probe sent within timeout + late_grace, plus
  // two, rounded up to a power of two and capped at max_capacity.
  static std::size_t capacity_for(nanos interval, nanos timeout, nanos late_grace);

  // The cap of capacity_for(). It covers the configuration's extremes (1 ms interval,
  // 60 s timeout: 60,000 probes in flight) plus a 5 s late grace, so within the
  // configuration's limits no probe is evicted before its timeout. At 48 bytes a
  // record the largest ring is 3 MiB, and only such an extreme target has it.
  static constexpr std::size_t max_capacity = 65536;

  // The sequence the next on_sent() will use.
  std::uint32_t next_seq() const { return next_seq_; }

  // Records a probe sent now; returns its sequence. If the slot still held an
  // outstanding probe (only possible when the ring is too small), that probe is
  // returned in `evicted` so the caller can count it as timed out.
  std::uint32_t on_sent(mono_time sent_at, nanos timeout, wall_time user_tx,
                        std::optional<probe_record>* evicted = nullptr);

  // Stores the kernel transmit timestamp of a probe still in the ring.
  void set_kernel_tx(std::uint32_t seq, wall_time ts);

  // Classifies a reply; on ok/late/duplicate, `record` receives the probe's record.
  match_result on_reply(std::uint32_t seq, probe_record* record = nullptr);

  // Marks an outstanding probe as lost for another reason (ICMP unreachable,
  // send error) so that it does not also time out. Returns false if it was not outstanding.
  bool resolve(std::uint32_t seq, probe_record* record = nullptr);

  // Calls on_timeout(const probe_record&) for every outstanding probe whose deadline <= now, oldest first.
  // The callback gets a copy and may change the map (even forget everything): the
  // loop re-reads the map's state after each call.
  template <class F>
  void expire(mono_time now, F&& on_timeout) {
    while (first_outstanding_ != next_seq_) {
      probe_record& r = slot(first_outstanding_);
      if (r.seq == first_outstanding_ && r.state == probe_state::outstanding) {
        if (r.deadline > now) return;
        r.state = probe_state::timed_out;
        --outstanding_;
        const probe_record copy = r;
        ++first_outstanding_;
        on_timeout(copy);
      } else {
        ++first_outstanding_;
      }
    }
  }

  // Earliest deadline of an outstanding probe: the oldest one's. O(1).
  std::optional<mono_time> next_deadline() const;

  // The number of outstanding probes. O(1).
  std::size_t outstanding() const { return outstanding_; }
  std::size_t capacity() const { return ring_.size(); }

  // Forgets every record (probes in flight when probing stops are neither
  // answered nor lost) but keeps the sequence counter, so numbering continues.
  void forget_outstanding();

  // Re-creates the ring with a new capacity, keeping the records that still fit.
  void resize(std::size_t capacity);

 private:
  probe_record& slot(std::uint32_t seq) { return ring_[seq & mask_]; }
  const probe_record& slot(std::uint32_t seq) const { return ring_[seq & mask_]; }
  void advance_first();

  std::vector<probe_record> ring_;
  std::uint32_t mask_ = 0;
  std::uint32_t next_seq_ = 0;
  // The oldest outstanding sequence, or next_seq_ when none is outstanding; every
  // sequence before it is resolved. (Inside expire() it may briefly point past a
  // resolved record; expire() moves it on before returning.)
  std::uint32_t first_outstanding_ = 0;
  std::size_t outstanding_ = 0;  // records in state outstanding
};

}  // namespace netstab::core
