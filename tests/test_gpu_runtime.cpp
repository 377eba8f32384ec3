// Copyright © 2026 Tandem authors.
// The CUDA runtime and memory layer (src/backend/cuda: runtime, allocator, pinned staging, io):
// memory statistics of GPU work (cuBLASLt's workspace is cache memory, clear_cache and the cache
// limit free it), out of device memory, memory limits on device outputs, empty arrays on every
// runtime path, Load on a GPU stream through the staging ring, buffers freed while other streams
// still use them, and the host time per queued op. The GPU cases skip without a GPU; the size
// buckets, the ring's bookkeeping and the cache-owner hook run everywhere they are built.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <vector>

#include "backend/cpu/host_allocator.h"
#include "backend/cuda/staging_ring.h"
#include "harness.h"
#include "tandem/io.h"

using namespace tandem;

#ifdef TANDEM_WITH_CUDA
namespace tandem::cuda {
// Internal function of the CUDA backend (src/backend/cuda/runtime.h), exported by the library.
void register_cache_owner(void (*release)());
}  // namespace tandem::cuda
#endif

namespace {

// Restores the memory and cache limits when a test ends, even when it fails.
struct LimitGuard {
  size_t memory = get_memory_limit();
  size_t cache = set_cache_limit(get_memory_limit());
  LimitGuard() { set_cache_limit(cache); }
  ~LimitGuard() {
    set_memory_limit(memory);
    set_cache_limit(cache);
  }
};

constexpr size_t kMiB = size_t(1) << 20;

std::string tmp(const std::string& name) {
  return ::testing::TempDir() + "tandem_rt_" + std::to_string(::getpid()) + "_" + name;
}

void sync_gpu() {
  synchronize();
}

}  // namespace

// ---------------- host-side logic (no GPU needed) ----------------

TEST(AllocatorBuckets, CoverTheRequestWithBoundedWasteAndAreFixedPoints) {
  using allocator::bucket_size;
  EXPECT_EQ(bucket_size(0), 64u);
  EXPECT_EQ(bucket_size(1), 64u);
  EXPECT_EQ(bucket_size(65), 256u);
  EXPECT_EQ(bucket_size(257), 512u);
  EXPECT_EQ(bucket_size(4097), 8192u);
  EXPECT_EQ(bucket_size(kMiB), kMiB);
  EXPECT_EQ(bucket_size(kMiB + 1), kMiB + kMiB / 4);  // next power 2 MiB, steps of 256 KiB
  size_t prev = 0;
  std::vector<size_t> sizes;
  for (size_t s = 1; s < (size_t(1) << 34); s = s * 5 / 4 + 1) {
    sizes.push_back(s);
    sizes.push_back(s + 63);
  }
  for (size_t p = 64; p <= (size_t(1) << 40); p <<= 1) {
    sizes.push_back(p - 1);
    sizes.push_back(p);
    sizes.push_back(p + 1);
  }
  std::sort(sizes.begin(), sizes.end());
  for (size_t s : sizes) {
    const size_t b = bucket_size(s);
    ASSERT_GE(b, s) << s;
    ASSERT_EQ(b % 64, 0u) << s;         // every block keeps 64-byte alignment after a header
    ASSERT_EQ(bucket_size(b), b) << s;  // a cached block's capacity is its own bucket
    ASSERT_GE(b, prev) << s;            // monotonic: a larger request never gets a smaller block
    // Large blocks: steps of 1/8 of the next power of two, so less than 1/4 of the request
    // (12.5% of the block's power of two) is wasted.
    if (s > kMiB) ASSERT_LT(b - s, s / 4) << s;
    prev = b;
  }
}

TEST(StagingRing, ExactFitsAtTheEndAndWholeRing) {
  cuda::StagingRing<int> r(64);
  constexpr size_t npos = cuda::StagingRing<int>::npos;
  EXPECT_EQ(r.find(64), 0u);  // the whole ring when empty
  r.push(0, 64, 0);
  EXPECT_EQ(r.find(1), npos);  // full
  r.pop_front();
  r.push(r.find(24), 24, 1);   // [0, 24)
  r.push(r.find(40), 40, 2);   // [24, 64): ends exactly at the capacity
  EXPECT_EQ(r.find(1), npos);  // nothing before the oldest, nothing after the newest
  r.pop_front();               // [0, 24) free
  EXPECT_EQ(r.find(24), 0u);   // head == capacity: wraps to 0
  EXPECT_EQ(r.find(25), npos);
  r.push(0, 24, 3);  // wrapped, and full again
  EXPECT_EQ(r.find(1), npos);
  r.pop_front();  // oldest now [0, 24); free [24, 64)
  EXPECT_EQ(r.find(40), 24u);
  EXPECT_EQ(r.find(41), npos);
  r.pop_front();
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.find(64), 0u);
  // Sequence numbers go on from where they were (spans are found by them after a wait).
  EXPECT_EQ(r.push(0, 8, 4).seq, 4u);
  EXPECT_NE(r.at(4), nullptr);
  EXPECT_EQ(r.at(3), nullptr);
}

#ifdef TANDEM_WITH_CUDA
namespace {
int g_owner_calls = 0;
void counting_owner() {
  ++g_owner_calls;
}
}  // namespace

TEST(CudaRuntime, ClearCacheCallsTheCacheOwners) {
  // Libraries holding device memory between calls (cuBLASLt's workspace) register an owner;
  // clear_cache gives them the chance to let go (also in a build whose machine has no GPU).
  cuda::register_cache_owner(&counting_owner);
  cuda::register_cache_owner(&counting_owner);  // registered once
  const int before = g_owner_calls;
  clear_cache();
  EXPECT_EQ(g_owner_calls, before + 1);
  clear_cache();
  EXPECT_EQ(g_owner_calls, before + 2);
  EXPECT_EQ(get_cache_memory(), 0u);
}
#endif

// ---------------- memory statistics of GPU work ----------------

TEST(GpuMemory, MatmulWorkspaceIsCacheMemory) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  LimitGuard guard;
  sync_gpu();
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
  const size_t active = get_active_memory();
  auto product = [] {
    array a = ones({256, 256}, float32, Device::gpu);
    array b = matmul(a, a, Device::gpu);
    return b.to_vector<float>();
  };
  auto v = product();
  ASSERT_EQ(v.size(), size_t(256 * 256));
  EXPECT_EQ(v[0], 256.0f);
  EXPECT_EQ(v.back(), 256.0f);
  sync_gpu();
  // cuBLASLt's 32 MiB workspace is held between products, but as cache, not active memory.
  EXPECT_EQ(get_active_memory(), active);
  EXPECT_GE(get_cache_memory(), 32 * kMiB);
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
  EXPECT_EQ(get_active_memory(), active);
  // The next product makes a workspace again, and gets the same result.
  EXPECT_EQ(product()[7], 256.0f);
  sync_gpu();
  EXPECT_EQ(get_active_memory(), active);

  // A cache limit without room for it: products run without a workspace, nothing is cached.
  set_cache_limit(0);
  EXPECT_EQ(get_cache_memory(), 0u);
  EXPECT_EQ(product()[5], 256.0f);
  sync_gpu();
  EXPECT_EQ(get_cache_memory(), 0u);
  EXPECT_EQ(get_active_memory(), active);
}

TEST(GpuMemory, ClearCacheWhileProductsAreQueued) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  LimitGuard guard;
  // Keep the GPU busy with products using the workspace, free it (clear_cache) while they are
  // queued, then allocate and write new buffers on this and another stream: the freed memory
  // may only be reused after the products are done with it.
  Stream s2 = new_stream(Device::gpu);
  array a = full({2048, 2048}, 1.0f / 2048, float32, Device::gpu);
  array busy = a;
  for (int i = 0; i < 8; ++i)
    busy = matmul(busy, a, Device::gpu);
  eval(busy);
  clear_cache();
  std::vector<array> fresh;
  for (int i = 0; i < 4; ++i) {
    fresh.push_back(full({8 << 20}, float(i), float32,
                         i % 2 ? StreamOrDevice(s2) : StreamOrDevice(Device::gpu)));
    eval(fresh.back());
  }
  auto got = busy.to_vector<float>();
  EXPECT_NEAR(got[0], 1.0f / 2048, 1e-6f);
  EXPECT_NEAR(got.back(), 1.0f / 2048, 1e-6f);
  for (int i = 0; i < 4; ++i) {
    auto f = fresh[i].to_vector<float>();
    EXPECT_EQ(f[0], float(i));
    EXPECT_EQ(f.back(), float(i));
  }
}

TEST(GpuMemory, StatsReturnToBaselineAcrossStreamsAndHostReads) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  LimitGuard guard;
  sync_gpu();
  const size_t active = get_active_memory();
  reset_peak_memory();
  Stream s2 = new_stream(Device::gpu);
  {
    array h(std::vector<float>(4 << 20, 1.5f), {4 << 20});  // host, 16 MiB
    array g1 = multiply(h, array(2.0f), Device::gpu);       // device, 16 MiB
    array g2 = add(g1, array(1.0f), s2);                    // another stream
    array c = subtract(g2, array(1.0f), Device::cpu);       // CPU reads g2
    EXPECT_EQ(c.to_vector<float>()[123], 3.0f);
    EXPECT_EQ(g1.to_vector<float>()[(4 << 20) - 1], 3.0f);
    // h (host) + its device copy + g1 + g2 (device) + their host copies + c: at least 5 x 16 MiB.
    EXPECT_GE(get_peak_memory(), active + 5 * 16 * kMiB);
  }
  sync_gpu();
  EXPECT_EQ(get_active_memory(), active);
  EXPECT_GE(get_peak_memory(), get_active_memory());
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
  EXPECT_EQ(get_active_memory(), active);
}

// ---------------- limits and out of memory ----------------

TEST(GpuMemory, MemoryLimitOnDeviceOutputs) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  LimitGuard guard;
  sync_gpu();
  clear_cache();
  const size_t limit = get_active_memory() + kMiB;
  set_memory_limit(limit);
  array big = zeros({4 << 20}, float32, Device::gpu);  // 16 MiB of device memory
  try {
    big.eval();
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(tandem_test::contains(msg, "[malloc] Out of memory")) << msg;
    EXPECT_TRUE(tandem_test::contains(msg, "GPU memory")) << msg;
    EXPECT_TRUE(tandem_test::contains(msg, std::to_string(limit))) << msg;
  }
  // Small device work still runs under the limit; a lifted limit lets the big one through.
  EXPECT_EQ(add(array({1.0f, 2.0f}), array(1.0f), Device::gpu).to_vector<float>(),
            (std::vector<float>{2, 3}));
  set_memory_limit(guard.memory);
  EXPECT_EQ(zeros({4 << 20}, float32, Device::gpu).to_vector<float>()[(4 << 20) - 1], 0.0f);
}

TEST(GpuMemory, DeviceOutOfMemoryThrowsAndRecovers) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  LimitGuard guard;
  sync_gpu();
  // Above the ledger's limit nothing reaches the device: lift it, so the device itself refuses.
  set_memory_limit(std::numeric_limits<size_t>::max() / 4);
  {
    // Something cached, which the failed allocation must give back before it gives up.
    array c = zeros({1 << 20}, float32, Device::gpu);
    c.eval();
  }
  sync_gpu();
  ASSERT_GT(get_cache_memory(), 0u);
  const size_t active = get_active_memory();
  reset_peak_memory();
  {
    array huge = zeros({1 << 18, 1 << 20}, float32, Device::gpu);  // 1 TiB
    try {
      huge.eval();
      FAIL() << "expected std::runtime_error";
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_TRUE(tandem_test::contains(msg, "[malloc] Out of memory")) << msg;
      EXPECT_TRUE(tandem_test::contains(msg, "bytes of GPU memory on GPU 0")) << msg;
    }
  }  // the failed graph (and its scalar) is gone
  // The caches were emptied before giving up (the 4 MiB block is gone; the failed graph's
  // scalar may have been cached since).
  EXPECT_LT(get_cache_memory(), 4 * kMiB);
  EXPECT_LT(get_peak_memory(), active + (size_t(1) << 30));  // the failed request is not a peak
  EXPECT_EQ(get_active_memory(), active);
  // The device works on.
  EXPECT_EQ(add(array({1.0f, 2.0f}), array(1.0f), Device::gpu).to_vector<float>(),
            (std::vector<float>{2, 3}));
}

// ---------------- empty arrays ----------------

TEST(GpuMemory, EmptyArraysOnEveryRuntimePath) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  const Device g = Device::gpu;
  for (Dtype t : {float32, uint8, float16, int64, complex64, bool_}) {
    SCOPED_TRACE(dtype_name(t));
    array e = zeros({0}, t, g);
    e.eval();
    EXPECT_EQ(e.size(), 0u);
    EXPECT_TRUE(tandem_test::values(e).empty());
    array host_empty = astype(array(std::vector<float>{}, {0}), t, Device::cpu);
    EXPECT_EQ(copy(host_empty, g).size(), 0u);                      // upload of nothing
    EXPECT_TRUE(tandem_test::values(copy(host_empty, g)).empty());  // download of nothing
    array e3 = zeros({3, 0, 2}, t, g);
    EXPECT_EQ(transpose(e3, g).shape(), (Shape{2, 0, 3}));
    EXPECT_TRUE(tandem_test::values(copy(transpose(e3, g), g)).empty());
    EXPECT_TRUE(tandem_test::values(reshape(transpose(e3, g), {0, 6}, g)).empty());
    EXPECT_TRUE(tandem_test::values(astype(e3, int32, g)).empty());
    EXPECT_TRUE(tandem_test::values(slice(ones({4}, t, g), {2}, {2}, g)).empty());
    EXPECT_TRUE(tandem_test::values(add(e, e, g)).empty());
    array cat = concatenate({ones({2}, t, g), zeros({0}, t, g), ones({1}, t, g)}, 0, g);
    EXPECT_EQ(tandem_test::values(cat).size(), 3u);
    EXPECT_TRUE(tandem_test::values(concatenate({e, e}, 0, g)).empty());
  }
  EXPECT_EQ(sum(zeros({0}, float32, g), false, g).item<float>(), 0.0f);
  EXPECT_EQ(matmul(zeros({0, 3}, float32, g), ones({3, 2}, float32, g), g).shape(), (Shape{0, 2}));
  EXPECT_EQ(tandem_test::values(matmul(zeros({2, 0}, float32, g), ones({0, 3}, float32, g), g)),
            std::vector<double>(6, 0.0));
  // Loads of empty arrays on a GPU stream.
  const std::string path = tmp("empty.npy");
  save(path, zeros({0, 4}, float32, Device::cpu));
  array l = load(path, default_stream(g));
  EXPECT_EQ(l.shape(), (Shape{0, 4}));
  EXPECT_TRUE(tandem_test::values(l).empty());
  std::remove(path.c_str());
}

// ---------------- Load through the staging ring ----------------

TEST(GpuMemory, LoadOnGpuStreamThroughTheStagingRing) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  LimitGuard guard;
  const Stream s = default_stream(Device::gpu);
  // A plain file read in 8 MiB pieces: 20 MiB + 28 bytes (two whole pieces and a short one).
  const int n = (5 << 20) + 7;
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i)
    v[i] = float(i % 100003) - 50000.0f;
  const std::string path = tmp("big.npy");
  save(path, array(v, {n}));
  for (int rep = 0; rep < 3; ++rep) {  // the ring's spans are reused after their copies
    array g = load(path, s);
    auto got = g.to_vector<float>();
    ASSERT_EQ(got.size(), v.size());
    EXPECT_EQ(got, v) << "repetition " << rep;
  }
  // Odd and small sizes (below the staging threshold: pageable).
  const std::string small = tmp("small.npy");
  save(small, array(std::vector<uint8_t>{1, 2, 3}, {3}));
  EXPECT_EQ(load(small, s).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 2, 3}));
  // A deflated .npz member is read in one call (staged when it fits the ring).
  const std::string z = tmp("z");
  std::vector<int32_t> w(1 << 20);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = int32_t(i * 7 % 1001);
  savez_compressed(z, std::vector<array>{array(w, {int32_t(w.size())})});
  auto m = load_npz(z + ".npz", s);
  EXPECT_EQ(m.at("arr_0").to_vector<int32_t>(), w);
  // With no ring (cache limit 0) the same load goes through pageable memory.
  clear_cache();
  set_cache_limit(0);
  EXPECT_EQ(load(path, s).to_vector<float>(), v);
  EXPECT_EQ(get_cache_memory(), 0u);
  std::remove(path.c_str());
  std::remove(small.c_str());
  std::remove((z + ".npz").c_str());
}

// ---------------- stream order of freed buffers ----------------

TEST(GpuMemory, BuffersFreedWhileAnotherStreamReadsThem) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  // x is written on stream 1 and read by a slow chain on stream 2; every handle to x is gone
  // once the chain is queued, so its block returns to the cache while stream 2 still reads it.
  // New buffers of the same size written at once on streams 1 and 3 must not land in it before
  // stream 2 is done.
  Stream s1 = new_stream(Device::gpu), s2 = new_stream(Device::gpu), s3 = new_stream(Device::gpu);
  const int n = 4 << 20;  // 16 MiB
  array m = full({1024, 1024}, 1.0f / 1024, float32, s2);
  for (int rep = 0; rep < 3; ++rep) {
    array y(0.0f);
    {
      array x = full({n}, 2.0f, float32, s1);
      eval(x);
      array busy = m;
      for (int i = 0; i < 20; ++i)
        busy = matmul(busy, m, s2);  // keeps stream 2 busy before it reads x
      y = add(x, sum(busy, false, s2), s2);
      eval(y);
    }  // x freed here (its block is cached in stream 1's order, after stream 2's read)
    std::vector<array> fresh;
    for (int i = 0; i < 4; ++i) {
      fresh.push_back(full({n}, -7.0f, float32, i % 2 ? s3 : s1));
      eval(fresh.back());
    }
    auto got = y.to_vector<float>();
    const float want = 2.0f + 1024.0f * 1024.0f / 1024.0f;  // 2 + sum of a 1024x1024 of 1/1024
    EXPECT_NEAR(got[0], want, 1e-2f) << "repetition " << rep;
    EXPECT_NEAR(got[n - 1], want, 1e-2f) << "repetition " << rep;
    for (auto& f : fresh)
      EXPECT_EQ(f.to_vector<float>()[n / 2], -7.0f);
  }
}

// ---------------- host time per queued op ----------------

TEST(GpuMemory, HostTimePerQueuedOp) {
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
#ifdef TANDEM_GPU_EMULATION
  GTEST_SKIP() << "the GPU emulator runs kernels on the host as they are queued";
#endif
  // Queues chains of small elementwise ops and reports the host time per op (the target is a
  // few microseconds, launch included). Only a pathological cost (a synchronisation or an event
  // made per op) fails the test.
  array x = ones({256}, float32, Device::gpu);
  eval(x);
  auto run = [&](int ops) {
    array y = x;
    for (int i = 0; i < ops; ++i)
      y = add(y, x, Device::gpu);
    auto t0 = std::chrono::steady_clock::now();
    eval(y);
    auto t1 = std::chrono::steady_clock::now();
    synchronize();
    EXPECT_EQ(y.to_vector<float>()[0], float(ops + 1));
    return std::chrono::duration<double, std::micro>(t1 - t0).count() / ops;
  };
  run(200);  // warm up (cache, events)
  const double us = run(5000);
  std::printf("[ HOST/OP  ] %.2f us per queued add (eval only, graph built beforehand)\n", us);
  EXPECT_LT(us, 50.0);
}
