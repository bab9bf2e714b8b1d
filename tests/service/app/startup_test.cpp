#include "service/app/startup.hpp"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

// AddressSanitizer refuses glibc's thresholds (its mallopt returns 0); ThreadSanitizer hands them to glibc, whose
// allocator it does not use.
#if defined(__SANITIZE_ADDRESS__)
#define NETSTAB_TEST_ASAN 1
#elif defined(__SANITIZE_THREAD__)
#define NETSTAB_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NETSTAB_TEST_ASAN 1
#elif __has_feature(thread_sanitizer)
#define NETSTAB_TEST_TSAN 1
#endif
#endif

namespace netstab::service {
namespace {

// A block of a digest's size, allocated, written and freed twice: from the heap both times (no mapping of its
// own), and the heap keeps it when it is freed, so the second one touches pages that are already there.
TEST(Startup, MultiMegabyteBlocksComeFromTheHeapAndStayWhenFreed) {
#if defined(NETSTAB_TEST_ASAN)
  EXPECT_FALSE(tune_allocator());  // the tuning reports that it did nothing
#elif defined(NETSTAB_TEST_TSAN)
  GTEST_SKIP() << "ThreadSanitizer's allocator replaces glibc's";
#else
  ASSERT_TRUE(tune_allocator());
  constexpr std::size_t size = 8 << 20;
  for (int round = 0; round < 2; ++round) {
    const struct mallinfo2 before = mallinfo2();
    void* block = std::malloc(size);
    ASSERT_NE(block, nullptr);
    std::memset(block, round + 1, size);
    const struct mallinfo2 held = mallinfo2();
    EXPECT_EQ(held.hblks, before.hblks) << "a mapping of its own";
    EXPECT_GE(held.arena, size);
    std::free(block);
    const struct mallinfo2 after = mallinfo2();
    EXPECT_EQ(after.arena, held.arena) << "the heap was trimmed";
    EXPECT_GE(after.fordblks, size);
  }
#endif
}

}  // namespace
}  // namespace netstab::service
