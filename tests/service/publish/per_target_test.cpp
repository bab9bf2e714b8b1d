#include "service/publish/per_target.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/target.hpp"
#include "core/target_monitor.hpp"

namespace netstab::service {
namespace {

class slotted_target final : public target_view {
 public:
  explicit slotted_target(std::uint32_t slot) : slot_(slot), monitor_({}) {}
  const core::target_spec& spec() const override { return spec_; }
  const std::string& address() const override { return spec_.host; }
  const core::target_monitor& monitor() const override { return monitor_; }
  std::uint64_t sent() const override { return 0; }
  std::uint32_t slot() const override { return slot_; }

 private:
  std::uint32_t slot_;
  core::target_spec spec_;
  core::target_monitor monitor_;
};

TEST(PerTarget, FindsOnlyTheTargetThatPutItsEntry) {
  per_target<std::string> table;
  const slotted_target a(3);
  const slotted_target b(3);  // a's slot, as a target added after a's removal has it
  EXPECT_EQ(table.find(a), nullptr);
  table.put(a, "a");
  ASSERT_NE(table.find(a), nullptr);
  EXPECT_EQ(*table.find(a), "a");
  EXPECT_EQ(table.find(b), nullptr) << "a's entry is not b's";
  ASSERT_NE(table.at_slot(3), nullptr);
  EXPECT_EQ(*table.at_slot(3), "a");
  EXPECT_EQ(table.at_slot(2), nullptr);
  EXPECT_EQ(table.at_slot(99), nullptr);
  EXPECT_FALSE(table.erase(b));
  EXPECT_NE(table.find(a), nullptr) << "erasing b leaves a's entry";
  table.put(b, "b");
  EXPECT_EQ(table.find(a), nullptr) << "b took the slot";
  EXPECT_EQ(*table.find(b), "b");
  EXPECT_TRUE(table.erase(b));
  EXPECT_EQ(table.find(b), nullptr);
  EXPECT_EQ(table.at_slot(3), nullptr);
}

}  // namespace
}  // namespace netstab::service
