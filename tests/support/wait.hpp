#pragma once
// Waiting in tests: on a condition, never on a fixed time.
//
// `patience` is the deadline for something that must happen. A wait ends as soon as its condition holds, so a
// generous deadline costs a passing test nothing and only bounds a failing one; it is long because a step that
// takes milliseconds on an idle machine can take seconds on a loaded two-core one (CI runs the suites side by
// side, and the sanitizer builds slow the binary several times). A test that must see that something does NOT
// happen cannot wait on a condition; it says why where it waits, and prefers a sentinel (a later message that
// can only arrive after the one that must not) or the process's own progress (N more samples) to a clock.
#include <chrono>
#include <thread>

namespace netstab::test {

inline constexpr std::chrono::seconds patience{30};

// Calls pred every `step` until it returns true or `timeout` has passed; returns its last result.
template <typename Pred>
bool poll_until(Pred&& pred, std::chrono::milliseconds timeout = patience,
                std::chrono::milliseconds step = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(step);
  }
  return true;
}

}  // namespace netstab::test
