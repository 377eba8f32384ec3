// Copyright © 2026 Tandem authors.
// Copies between host and device memory: the CUDA backend's pinned staging ring
// (src/backend/cuda/pinned.h). Round trips host -> GPU -> host of large and odd sizes, uploads
// that reuse staging memory while earlier copies are still queued, CPU kernels consuming GPU
// results, and the memory statistics. The GPU cases skip without a GPU; the ring's bookkeeping
// (staging_ring.h) and the host copy threads are tested on any machine.
#include <algorithm>
#include <cstring>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "backend/cuda/staging_ring.h"
#include "harness.h"

using namespace tandem;

#ifdef TANDEM_WITH_CUDA
namespace tandem::cuda {
// Internal functions of the CUDA backend (src/backend/cuda/pinned.h), exported by the library.
bool staging_enabled();
size_t set_staging_min_bytes(size_t bytes);
void host_copy(void* dst, const void* src, size_t n);
}  // namespace tandem::cuda
#endif

namespace {

// Bytes that differ from one position to the next and from one `seed` to another.
std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    v[i] = static_cast<uint8_t>(x >> 24);
  }
  return v;
}

// Index of the first difference, or -1.
int64_t first_difference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size()) return 0;
  auto m = std::mismatch(a.begin(), a.end(), b.begin());
  return m.first == a.end() ? -1 : int64_t(m.first - a.begin());
}

// Host -> GPU (a copy kernel reads the host-resident array) -> host (to_vector).
std::vector<uint8_t> round_trip(const std::vector<uint8_t>& v, StreamOrDevice s = Device::gpu) {
  array h(v, Shape{int32_t(v.size())}, uint8);
  array g = copy(h, s);
  return g.to_vector<uint8_t>();
}

// Sets the staging threshold for a scope (1: every copy goes through the ring).
struct StageEverything {
#ifdef TANDEM_WITH_CUDA
  size_t prev = cuda::set_staging_min_bytes(1);
  ~StageEverything() {
    cuda::set_staging_min_bytes(prev);
  }
#endif
};

bool staging_on() {
#ifdef TANDEM_WITH_CUDA
  return cuda::staging_enabled();
#else
  return false;
#endif
}

}  // namespace

// ---------------- the ring's bookkeeping (no GPU needed) ----------------

TEST(StagingRing, FindsRoomInFifoOrderAndWraps) {
  cuda::StagingRing<int> r(100);
  constexpr size_t npos = cuda::StagingRing<int>::npos;
  EXPECT_EQ(r.find(0), npos);
  EXPECT_EQ(r.find(101), npos);
  EXPECT_EQ(r.find(100), 0u);
  EXPECT_EQ(r.push(0, 40, 0).seq, 0u);
  EXPECT_EQ(r.find(40), 40u);
  r.push(40, 40, 1);
  EXPECT_EQ(r.find(21), npos);  // 20 left at the end, nothing before the oldest span
  EXPECT_EQ(r.find(20), 80u);
  r.pop_front();              // [0, 40) is free again
  EXPECT_EQ(r.find(30), 0u);  // does not fit at the end: wraps
  r.push(0, 30, 2);
  // Wrapped: the free bytes are [30, 40) only (the 20 at the end are skipped until the ring
  // wraps past them).
  EXPECT_EQ(r.find(11), npos);
  EXPECT_EQ(r.find(10), 30u);
  ASSERT_NE(r.at(1), nullptr);
  EXPECT_EQ(r.at(1)->off, 40u);
  EXPECT_EQ(r.at(0), nullptr);
  EXPECT_EQ(r.at(3), nullptr);
  r.pop_front();  // oldest is now [0, 30): free are [30, 100)
  EXPECT_EQ(r.find(70), 30u);
  EXPECT_EQ(r.find(71), npos);
  r.pop_front();
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.find(100), 0u);
}

TEST(StagingRing, RandomSpansNeverOverlap) {
  constexpr size_t kCap = 1000;
  cuda::StagingRing<int> r(kCap);
  std::mt19937 gen(7);
  std::vector<int> owner(kCap, -1);  // span seq per byte, -1 free
  int pushed = 0, popped = 0;
  for (int step = 0; step < 20000; ++step) {
    if (gen() % 3 != 0 || r.empty()) {
      size_t n = 1 + gen() % (gen() % 4 == 0 ? kCap : 120);
      size_t off = r.find(n);
      if (off == cuda::StagingRing<int>::npos) {
        // Full for n: with nothing queued, every size up to the capacity must fit.
        ASSERT_FALSE(r.empty());
        if (!r.empty()) {
          for (size_t i = r.front().off; i < r.front().off + r.front().size; ++i)
            owner[i] = -1;
          r.pop_front();
          ++popped;
        }
        continue;
      }
      ASSERT_LE(off + n, kCap);
      for (size_t i = off; i < off + n; ++i) {
        ASSERT_EQ(owner[i], -1) << "byte " << i << " handed out twice (step " << step << ")";
        owner[i] = pushed;
      }
      auto& s = r.push(off, n, pushed);
      ASSERT_EQ(s.seq, uint64_t(pushed));
      ++pushed;
    } else {
      auto& f = r.front();
      ASSERT_EQ(f.data, popped);  // FIFO
      ASSERT_EQ(r.at(f.seq), &f);
      for (size_t i = f.off; i < f.off + f.size; ++i)
        owner[i] = -1;
      r.pop_front();
      ++popped;
    }
  }
  EXPECT_GT(pushed, 1000);
}

#ifdef TANDEM_WITH_CUDA
TEST(StagingRing, HostCopyThreads) {
  // Sizes around the per-thread minimum (1 MiB), at odd offsets; then several callers at once.
  auto src = pattern((size_t(37) << 20) + 77, 3);
  for (size_t n : {size_t(0), size_t(1), size_t(4095), size_t(2) << 20, (size_t(2) << 20) + 1,
                   (size_t(9) << 20) + 3, (size_t(37) << 20) + 5}) {
    std::vector<uint8_t> dst(n + 16, 0xAB);
    cuda::host_copy(dst.data() + 3, src.data() + 7, n);
    EXPECT_TRUE(std::equal(src.begin() + 7, src.begin() + 7 + n, dst.begin() + 3)) << n;
    EXPECT_EQ(dst[0], 0xAB);
    EXPECT_EQ(dst[n + 3], 0xAB) << n;  // nothing past the end
  }
  std::vector<std::thread> ts;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      auto s = pattern((size_t(5) << 20) + t, 10 + t);
      bool good = true;
      for (int rep = 0; rep < 5; ++rep) {
        std::vector<uint8_t> d(s.size());
        cuda::host_copy(d.data(), s.data(), s.size());
        good = good && d == s;
      }
      ok[t] = good;
    });
  }
  for (auto& t : ts)
    t.join();
  EXPECT_EQ(ok, std::vector<int>(4, 1));
}
#endif

// ---------------- round trips on the GPU ----------------

TEST(Transfers, LargeAndOddSizedRoundTrips) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  // 64 MiB (8 staging pieces), 64 MiB + 3 (a 3-byte last piece), two pieces + 1, a size just
  // below the default staging threshold, and a few bytes (straight from pageable memory).
  for (size_t n : {size_t(64) << 20, (size_t(64) << 20) + 3, (size_t(16) << 20) + 1,
                   (size_t(256) << 10) - 1, size_t(3), size_t(1)}) {
    auto v = pattern(n, uint32_t(n));
    EXPECT_EQ(first_difference(round_trip(v), v), -1) << n << " bytes";
  }
  // The same small sizes through the ring.
  StageEverything stage;
  for (size_t n : {size_t(3), size_t(1), size_t(4097), (size_t(8) << 20) - 1}) {
    auto v = pattern(n, uint32_t(n) + 1);
    EXPECT_EQ(first_difference(round_trip(v), v), -1) << n << " bytes, staged";
  }
}

TEST(Transfers, LargeFloat32RoundTrip) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  const int n = (1 << 24) + 5;  // 64 MiB + 20 bytes
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i)
    v[i] = float(i % 1000003) * 0.5f - 7.0f;
  array h(v, Shape{n}, float32);
  array g = multiply(h, array(2.0f), Device::gpu);
  auto got = g.to_vector<float>();
  ASSERT_EQ(got.size(), v.size());
  for (int i = 0; i < n; ++i) {
    if (got[i] != 2.0f * v[i]) {
      ADD_FAILURE() << "index " << i << ": " << got[i] << " != " << 2.0f * v[i];
      break;
    }
  }
}

TEST(Transfers, OneElementOfEachDtype) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  for (bool staged : {false, true}) {
    std::optional<StageEverything> stage;
    if (staged) stage.emplace();
    for (Dtype t : tandem_test::all_dtypes()) {
      SCOPED_TRACE(dtype_name(t) + (staged ? ", staged" : ""));
      std::vector<double> v{t == bool_ ? 1.0 : 3.0};
      array g = copy(tandem_test::make(v, {1}, t), Device::gpu);
      EXPECT_EQ(tandem_test::values(g), v);
      // And a 3-element array: 3 bytes for the 1-byte dtypes.
      std::vector<double> w{t == bool_ ? 0.0 : 1.0, 1.0, t == bool_ ? 1.0 : 2.0};
      array g3 = copy(tandem_test::make(w, {3}, t), Device::gpu);
      EXPECT_EQ(tandem_test::values(g3), w);
    }
  }
}

TEST(Transfers, UploadsReuseStagingWhileEarlierCopiesAreQueued) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  // Keep the GPU busy for a while, so that the uploads queued behind the work still wait for
  // it when the ring (64 MiB) wraps: 24 uploads of 12 MiB + 3 bytes each, every host source
  // freed right after its upload is queued (its host block is reused by the next one).
  array a = full({4096, 4096}, 1.0f / 4096, float32, Device::gpu);
  array busy = a;
  for (int i = 0; i < 6; ++i)
    busy = matmul(busy, a, Device::gpu);
  eval(busy);
  Stream s2 = new_stream(Device::gpu);
  constexpr size_t kN = (size_t(12) << 20) + 3;
  std::vector<array> outs;
  for (int i = 0; i < 24; ++i) {
    array h(pattern(kN, 100 + i), Shape{int32_t(kN)}, uint8);
    // Every third upload on a second stream: the ring's spans then wait for two streams.
    outs.push_back(copy(h, i % 3 == 2 ? StreamOrDevice(s2) : StreamOrDevice(Device::gpu)));
    eval(outs.back());
  }
  for (int i = 0; i < 24; ++i) {
    EXPECT_EQ(first_difference(outs[i].to_vector<uint8_t>(), pattern(kN, 100 + i)), -1)
        << "upload " << i;
  }
  EXPECT_NEAR(busy.to_vector<float>()[0], 1.0f / 4096, 1e-6f);
}

TEST(Transfers, CpuKernelConsumesGpuResult) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  const int n = (1 << 23) + 3;  // 32 MiB + 12 bytes of int32
  std::vector<int32_t> v(n);
  for (int i = 0; i < n; ++i)
    v[i] = (i % 4099) - 2000;
  array h(v, Shape{n}, int32);
  array g = add(h, array(int32_t(5)), Device::gpu);  // device-resident
  // A CPU kernel reads g: the scheduler moves it to the host first (a download).
  array c = multiply(g, array(int32_t(3)), Device::cpu);
  auto got = c.to_vector<int32_t>();
  ASSERT_EQ(got.size(), size_t(n));
  for (int i = 0; i < n; ++i) {
    if (got[i] != (v[i] + 5) * 3) {
      ADD_FAILURE() << "index " << i << ": " << got[i] << " != " << (v[i] + 5) * 3;
      break;
    }
  }
  // A reduction on the CPU of a GPU result, and the GPU result itself read afterwards.
  int64_t want = 0;
  for (int i = 0; i < n; ++i)
    want += v[i] + 5;
  EXPECT_EQ(sum(astype(g, int64, Device::cpu), false, Device::cpu).item<int64_t>(), want);
  EXPECT_EQ(g.to_vector<int32_t>()[n - 1], v[n - 1] + 5);
}

TEST(Transfers, MemoryStatsAndClearCache) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
  const size_t active = get_active_memory();
  {
    auto v = pattern(size_t(20) << 20, 5);
    EXPECT_EQ(first_difference(round_trip(v), v), -1);
  }
  synchronize(default_stream(Device::gpu));
  EXPECT_EQ(get_active_memory(), active);
  // The staging ring (64 MiB of pinned memory) is cache memory, beside the freed buffers.
  if (staging_on()) EXPECT_GE(get_cache_memory(), size_t(64) << 20);
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
  EXPECT_EQ(get_active_memory(), active);

  // With no room in the cache there is no ring: copies go through pageable memory.
  size_t prev = set_cache_limit(0);
  {
    auto v = pattern(size_t(20) << 20, 6);
    EXPECT_EQ(first_difference(round_trip(v), v), -1);
  }
  EXPECT_EQ(get_cache_memory(), 0u);
  set_cache_limit(prev);
  // The ring comes back when the limit allows it, and set_cache_limit(0) releases it.
  {
    auto v = pattern(size_t(20) << 20, 7);
    EXPECT_EQ(first_difference(round_trip(v), v), -1);
  }
  synchronize(default_stream(Device::gpu));
  set_cache_limit(0);
  EXPECT_EQ(get_cache_memory(), 0u);
  set_cache_limit(prev);
  EXPECT_EQ(get_active_memory(), active);
}
