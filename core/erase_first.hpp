#pragma once
// Removing many values from an ordered list in one pass, for lists that take removals one at a time but are read
// only now and then (a search per removal makes removing n of n values quadratic). Pure; no state of its own.
#include <cstddef>
#include <unordered_map>
#include <vector>

namespace netstab::core {

// Erases, for each value in `count`, its first count[value] occurrences in v, in one pass, keeping the order of the
// rest; empties count. When a value was removed k times and appended again since, its k stale places come before
// its current one, so the current one stays.
template <typename T>
void erase_first(std::vector<T>& v, std::unordered_map<T, std::size_t>& count) {
  if (count.empty()) return;
  std::erase_if(v, [&count](const T& value) {
    const auto it = count.find(value);
    if (it == count.end() || it->second == 0) return false;
    --it->second;
    return true;
  });
  count.clear();
}

}  // namespace netstab::core
