// Copyright © 2026 Tandem authors.
// The CPU thread pool (src/backend/cpu/threading.cpp): every chunk of every parallel region runs
// exactly once, also when regions follow each other closely (idle workers poll for the next one
// and may still be claiming from the previous one), when several threads start regions at once,
// when chunks throw, and across pool resizes.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "backend/cpu/threading.h"  // internal: the pool

using tandem::cpu::num_threads;
using tandem::cpu::parallel_for;
using tandem::cpu::set_num_threads;

namespace {

// Runs `regions` parallel regions of varying sizes; every index of each must be visited once.
void check_regions(int regions, uint32_t seed) {
  for (int r = 0; r < regions; ++r) {
    const size_t n = 1 + (seed + r * 7919u) % 5000;
    std::vector<std::atomic<int>> hits(n);
    std::atomic<size_t> work{0};
    parallel_for(n, 1 + r % 7, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i)
        hits[i].fetch_add(1, std::memory_order_relaxed);
      work.fetch_add(e - b);
    });
    ASSERT_EQ(work.load(), n) << "region " << r;
    for (size_t i = 0; i < n; ++i)
      ASSERT_EQ(hits[i].load(), 1) << "region " << r << " index " << i;
  }
}

}  // namespace

TEST(ThreadPool, EveryChunkRunsOnceInBackToBackRegions) {
  const int saved = num_threads();
  for (int threads : {2, 3, 4}) {
    set_num_threads(threads);
    check_regions(3000, 11u * threads);
  }
  set_num_threads(saved);
}

TEST(ThreadPool, ConcurrentCallersAndExceptions) {
  const int saved = num_threads();
  set_num_threads(std::max(2, saved));
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 3; ++t) {
    callers.emplace_back([t, &failures] {
      for (int r = 0; r < 300; ++r) {
        const size_t n = 100 + (r * 37 + t) % 900;
        std::vector<std::atomic<int>> hits(n);
        parallel_for(n, 1, [&](size_t b, size_t e) {
          for (size_t i = b; i < e; ++i)
            hits[i].fetch_add(1);
        });
        for (size_t i = 0; i < n; ++i)
          if (hits[i].load() != 1) failures.fetch_add(1);
        // A throwing chunk: the exception reaches the caller and the pool keeps working.
        bool thrown = false;
        try {
          parallel_for(n, 1, [&](size_t b, size_t) {
            if (b == 0) throw std::runtime_error("chunk failed");
          });
        } catch (const std::runtime_error&) {
          thrown = true;
        }
        if (!thrown) failures.fetch_add(1);
      }
    });
  }
  for (auto& c : callers)
    c.join();
  EXPECT_EQ(failures.load(), 0);
  set_num_threads(saved);
}
