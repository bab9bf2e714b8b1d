#pragma once
// A sink's state per target, indexed by the target's slot (target_view::slot()).
//
// Sinks are called for every probe sent and every sample. A hash map keyed by the target's view cost a cache miss
// in the map's node for each call at thousands of targets (docs/benchmarks.md); slots are small and dense, so the
// entries sit in one vector. An entry remembers whose it is: state a removed target left behind (a sink that was
// not told of the removal) is never handed to the target that reuses its slot.
//
// Not thread-safe; the owning sink's thread (the loop).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "service/probe/prober.hpp"

namespace netstab::service {

template <typename T>
class per_target {
 public:
  // The target's entry, nullptr when it has none.
  T* find(const target_view& t) {
    const std::uint32_t s = t.slot();
    if (s >= entries_.size() || entries_[s].owner != &t) return nullptr;
    return &*entries_[s].value;
  }
  // The entry at a slot whatever its owner, nullptr when the slot is free (for walks in an order of their own).
  const T* at_slot(std::uint32_t s) const {
    return s < entries_.size() && entries_[s].value ? &*entries_[s].value : nullptr;
  }
  // Whose the entry at a slot is, nullptr when the slot is free. Only compared, never followed: a target removed
  // without the sink being told leaves its pointer here.
  const target_view* owner_at(std::uint32_t s) const { return s < entries_.size() ? entries_[s].owner : nullptr; }
  // Starts fetching the entry at a slot (see probe_sink::prefetch); reads nothing.
  void prefetch(std::uint32_t s) const {
    if (s < entries_.size()) __builtin_prefetch(entries_.data() + s);
  }
  // Room for the slots below n without growing (the vector would otherwise double past the target count).
  void reserve(std::size_t n) { entries_.reserve(n); }
  // Sets the target's entry, replacing what its slot held.
  T& put(const target_view& t, T value) {
    const std::uint32_t s = t.slot();
    if (s >= entries_.size()) entries_.resize(static_cast<std::size_t>(s) + 1);
    entries_[s].owner = &t;
    entries_[s].value = std::move(value);
    return *entries_[s].value;
  }
  // Drops the target's entry; false when it had none.
  bool erase(const target_view& t) {
    if (find(t) == nullptr) return false;
    entries_[t.slot()] = entry{};
    return true;
  }

 private:
  struct entry {
    const target_view* owner = nullptr;
    std::optional<T> value;
  };
  std::vector<entry> entries_;
};

}  // namespace netstab::service
