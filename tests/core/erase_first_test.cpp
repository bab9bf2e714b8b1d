#include "core/erase_first.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

using netstab::core::erase_first;

TEST(EraseFirst, TakesEachValuesFirstPlacesAndKeepsTheOrderOfTheRest) {
  struct row {
    std::vector<std::uint32_t> list;
    std::unordered_map<std::uint32_t, std::size_t> gone;
    std::vector<std::uint32_t> want;
  };
  const std::vector<row> rows{
      {{1, 2, 3, 4}, {{2, 1}, {4, 1}}, {1, 3}},
      {{5, 1, 5, 2, 5}, {{5, 2}}, {1, 2, 5}},  // removed twice and added again: the newest place stays
      {{1, 2}, {{9, 1}}, {1, 2}},              // a value not in the list changes nothing
      {{1, 2}, {{1, 3}}, {2}},                 // more removals than places: all of its places go
      {{1, 2}, {}, {1, 2}},
      {{}, {{1, 1}}, {}},
  };
  for (const row& r : rows) {
    std::vector<std::uint32_t> list = r.list;
    std::unordered_map<std::uint32_t, std::size_t> gone = r.gone;
    erase_first(list, gone);
    EXPECT_EQ(list, r.want);
    EXPECT_TRUE(gone.empty());
  }
}

TEST(EraseFirst, WorksOnStrings) {
  std::vector<std::string> hosts{"a", "b", "a", "c"};
  std::unordered_map<std::string, std::size_t> gone{{"a", 1}};
  erase_first(hosts, gone);
  EXPECT_EQ(hosts, (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_TRUE(gone.empty());
}
