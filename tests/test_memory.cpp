// Copyright © 2026 Tandem authors.
// Memory statistics and limits (memory.h).
#include "harness.h"

using namespace tandem;

namespace {

// Restores the memory and cache limits when a test ends, even when it fails. (There is no
// get_cache_limit: the current value is read by setting a temporary one and restoring it.)
struct LimitGuard {
  size_t memory = get_memory_limit();
  size_t cache = set_cache_limit(get_memory_limit());
  LimitGuard() { set_cache_limit(cache); }
  ~LimitGuard() {
    set_memory_limit(memory);
    set_cache_limit(cache);
  }
};

constexpr int kN = 1 << 20;  // 4 MiB of float32: one bucket of exactly 4 MiB

}  // namespace

TEST(Memory, ActiveMemoryFollowsArrays) {
  LimitGuard guard;
  size_t before = get_active_memory();
  {
    array a(std::vector<float>(kN, 1.0f), {kN});
    EXPECT_GE(get_active_memory(), before + a.nbytes());
    EXPECT_LE(get_active_memory(), before + a.nbytes() + 4096);
    array b = a;  // a handle, not a copy
    EXPECT_LE(get_active_memory(), before + a.nbytes() + 4096);
    array t = transpose(reshape(a, {1024, 1024}));
    t.eval();  // views share the buffer
    EXPECT_LE(get_active_memory(), before + a.nbytes() + 4096);
  }
  EXPECT_EQ(get_active_memory(), before);
}

TEST(Memory, CacheKeepsFreedBuffersUntilCleared) {
  LimitGuard guard;
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
  size_t before = get_active_memory();
  {
    array a(std::vector<float>(kN, 1.0f), {kN});
    EXPECT_EQ(get_cache_memory(), 0u);
  }
  // The buffer went to the cache, not back to the system.
  EXPECT_EQ(get_active_memory(), before);
  EXPECT_GE(get_cache_memory(), size_t(kN) * 4);
  // A new array of the same size reuses it.
  {
    array b(std::vector<float>(kN, 2.0f), {kN});
    EXPECT_EQ(get_cache_memory(), 0u);
    EXPECT_EQ(b.to_vector<float>()[kN - 1], 2.0f);
  }
  EXPECT_GT(get_cache_memory(), 0u);
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
  EXPECT_EQ(get_active_memory(), before);
}

TEST(Memory, PeakMemory) {
  LimitGuard guard;
  reset_peak_memory();
  EXPECT_EQ(get_peak_memory(), get_active_memory());
  size_t base = get_active_memory();
  {
    array a(std::vector<float>(kN, 1.0f), {kN});
    array b = a * 2.0f;
    b.eval();
    EXPECT_GE(get_peak_memory(), base + 2 * a.nbytes());
  }
  EXPECT_GE(get_peak_memory(), base + 2 * size_t(kN) * 4);
  EXPECT_GE(get_peak_memory(), get_active_memory());
  reset_peak_memory();
  EXPECT_EQ(get_peak_memory(), get_active_memory());
}

TEST(Memory, CacheLimit) {
  LimitGuard guard;
  clear_cache();
  size_t prev = set_cache_limit(0);
  EXPECT_EQ(prev, guard.cache);
  { array a(std::vector<float>(kN, 1.0f), {kN}); }
  EXPECT_EQ(get_cache_memory(), 0u);  // nothing may be cached

  set_cache_limit(size_t(16) << 20);
  { array a(std::vector<float>(kN, 1.0f), {kN}); }
  EXPECT_GT(get_cache_memory(), 0u);
  // Lowering the limit releases what no longer fits; the previous limit is returned.
  EXPECT_EQ(set_cache_limit(0), size_t(16) << 20);
  EXPECT_EQ(get_cache_memory(), 0u);
}

TEST(Memory, MemoryLimitThrowsNamingTheLimit) {
  LimitGuard guard;
  clear_cache();
  size_t limit = get_active_memory() + (size_t(1) << 20);
  size_t prev = set_memory_limit(limit);
  EXPECT_EQ(prev, guard.memory);
  EXPECT_EQ(get_memory_limit(), limit);
  try {
    array a(std::vector<float>(kN * 4, 1.0f), {kN * 4});  // 16 MiB
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    EXPECT_TRUE(tandem_test::contains(msg, "[malloc]")) << msg;
    EXPECT_TRUE(tandem_test::contains(msg, "memory limit")) << msg;
    EXPECT_TRUE(tandem_test::contains(msg, std::to_string(limit))) << msg;
    EXPECT_TRUE(tandem_test::contains(msg, std::to_string(size_t(kN) * 16))) << msg;  // request
  }
  // Small allocations still work under the limit.
  EXPECT_EQ((array({1.0f, 2.0f}) * 2.0f).to_vector<float>(), (std::vector<float>{2, 4}));
  // A lazy computation that needs too much fails at eval with the same error.
  array lazy = copy(broadcast_to(array(1.0f), {kN * 4}));
  EXPECT_THROW_MSG(lazy.eval(), std::runtime_error, "memory limit");
  set_memory_limit(guard.memory);
  EXPECT_EQ((array(std::vector<float>(kN * 4, 1.0f), {kN * 4}) + 1.0f).to_vector<float>()[0], 2.0f);
}

TEST(Memory, FailedAllocationEmptiesCacheFirst) {
  LimitGuard guard;
  clear_cache();
  set_cache_limit(size_t(64) << 20);
  { array a(std::vector<uint8_t>(3 << 20, 1), {3 << 20}); }  // a 3 MiB block, now cached
  ASSERT_GT(get_cache_memory(), 0u);
  set_memory_limit(get_active_memory() + (size_t(1) << 20));
  EXPECT_THROW_MSG(array(std::vector<float>(kN * 4, 1.0f), {kN * 4}), std::runtime_error,
                   "Out of memory");
  // Before giving up, the allocator returned its cache to the system.
  EXPECT_EQ(get_cache_memory(), 0u);
}

TEST(Memory, WiredLimitIsRecorded) {
  size_t prev = set_wired_limit(12345);
  EXPECT_EQ(set_wired_limit(prev), 12345u);
}
