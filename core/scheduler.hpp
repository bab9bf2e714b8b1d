#pragma once
// Earliest-deadline scheduler: which target needs attention next, and when.
//
// A binary min-heap of (time, id, generation). Each id has at most one live
// entry: rescheduling bumps the id's generation, and entries with an old
// generation are skipped (lazy deletion) when they reach the top. The heap
// therefore holds at most one live entry per id plus stale ones that are
// discarded as time passes; compact() bounds it when churn is high.
// Scheduling an id again for the time its live entry already has changes
// nothing: a prober reschedules a target after each send and each reply, and
// most of those leave its deadline where it was (the next send).
// Ids are small dense integers (target slots). Loop thread only.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/time.hpp"

namespace netstab::core {

class scheduler {
 public:
  using id_type = std::uint32_t;

  // Schedules id at time at, replacing any earlier schedule of id.
  void schedule(id_type id, mono_time at);
  void cancel(id_type id);
  bool scheduled(id_type id) const;

  // Earliest live deadline, if any. Drops stale entries from the top.
  std::optional<mono_time> next();

  // Removes and returns the id of the earliest live entry due at or before now.
  std::optional<id_type> pop_due(mono_time now);

  std::size_t heap_size() const { return heap_.size(); }
  void clear();

 private:
  struct entry {
    mono_time at;
    id_type id;
    std::uint32_t generation;
  };
  static bool later(const entry& a, const entry& b) { return a.at > b.at; }
  void drop_stale_top();
  void compact();

  std::vector<entry> heap_;
  // Per id: current generation and whether a live entry exists.
  std::vector<std::uint32_t> generation_;
  std::vector<bool> live_;
  std::vector<mono_time> at_;  // per id: the live entry's time (meaningless when not live)
  std::size_t live_count_ = 0;
};

// Offset of the first probe of the index-th target within its interval, so that
// many targets do not send in one burst: the golden-ratio sequence spreads any
// number of targets evenly, and adding a target never moves the others. For a
// target added while the others already run.
nanos stagger_offset(std::uint32_t index, nanos interval);

// How many evenly spaced steps of its interval count targets that start together
// are spread over: one per target up to spread_min_steps, then never fewer than
// spread_min_steps and never more targets per step than spread_max_burst. Each
// step costs a wake-up, and a wake-up costs more CPU than sending dozens of probes
// in one burst; a step of spread_max_burst probes is what the default 5 ms send
// grid already gathers at 10,000 targets a second.
inline constexpr std::size_t spread_min_steps = 20;
inline constexpr std::size_t spread_max_burst = 50;
std::size_t spread_steps(std::size_t count);

// Offset of the first probe of the rank-th of count targets that start together:
// the start of its step, step = rank × steps / count of spread_steps(count), so
// the targets are spread evenly over the interval in groups of neighbours and come
// due in rank order (0 for a rank out of range).
nanos spread_offset(std::size_t rank, std::size_t count, nanos interval);

}  // namespace netstab::core
