// Copyright © 2026 Tandem authors.
// Random numbers (src/ops/random.cpp, src/backend/cpu/random.cpp): the Threefry-2x32-20 bits
// against the published known answers and an independent reference, keys, split, the global
// seed, and the distributions' ranges and moments over 1e5 samples.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

#include "harness.h"

using namespace tandem;
using tandem_test::values;

namespace {

constexpr int kN = 100000;

// Threefry-2x32 with 20 rounds written from the Random123 specification, for cross-checking the
// library's kernel: returns the two output words for counter (c0, c1) and key (k0, k1).
std::pair<uint32_t, uint32_t> ref_threefry(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1) {
  static const int R[8] = {13, 15, 26, 6, 17, 29, 16, 24};
  uint32_t k2 = 0x1BD11BDAu ^ k0 ^ k1;
  uint32_t ks[3] = {k0, k1, k2};
  uint32_t x[2] = {c0 + k0, c1 + k1};
  for (int round = 0; round < 20; ++round) {
    x[0] += x[1];
    int r = R[round % 8];
    x[1] = (x[1] << r) | (x[1] >> (32 - r));
    x[1] ^= x[0];
    if (round % 4 == 3) {
      uint32_t inj = static_cast<uint32_t>(round / 4 + 1);
      x[0] += ks[inj % 3];
      x[1] += ks[(inj + 1) % 3] + inj;
    }
  }
  return {x[0], x[1]};
}

struct Moments {
  double mean, var, min, max;
};
Moments moments(array a) {
  auto v = values(a);
  double m = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double s = 0;
  for (double x : v)
    s += (x - m) * (x - m);
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return {m, s / v.size(), *lo, *hi};
}

std::vector<uint32_t> u32(array a) {
  return a.to_vector<uint32_t>();
}

}  // namespace

// ------------------------------ bits and keys ------------------------------

TEST(RandomThreefry, ReferenceMatchesPublishedVectors) {
  // Random123 known-answer tests for threefry2x32_20.
  EXPECT_EQ(ref_threefry(0, 0, 0, 0), std::make_pair(0x6b200159u, 0x99ba4efeu));
  EXPECT_EQ(ref_threefry(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu),
            std::make_pair(0x1cb996fcu, 0xbb002be7u));
  EXPECT_EQ(ref_threefry(0x13198a2eu, 0x03707344u, 0x243f6a88u, 0x85a308d3u),
            std::make_pair(0xc4923a9cu, 0x483df7a0u));
}

DEVICE_TEST(RandomBits, KnownAnswer) {
  array k = random::key(0);
  EXPECT_ARRAY_EQ(k, std::vector<uint32_t>{0, 0}, Shape{2}, uint32);
  array b = random::bits({2}, 4, k, device);
  EXPECT_EQ(b.dtype(), uint32);
  EXPECT_ARRAY_EQ(b, std::vector<uint32_t>{0x6b200159u, 0x99ba4efeu}, Shape{2});
  // Key layout: {seed >> 32, seed & 0xffffffff}.
  EXPECT_ARRAY_EQ(random::key(0x0123456789abcdefull),
                  std::vector<uint32_t>{0x01234567u, 0x89abcdefu}, Shape{2});
}

DEVICE_TEST(RandomBits, MatchesReference) {
  for (uint64_t seed : {0ull, 1ull, 42ull, 0xdeadbeefcafef00dull}) {
    array k = random::key(seed);
    uint32_t k0 = static_cast<uint32_t>(seed >> 32), k1 = static_cast<uint32_t>(seed);
    auto got = u32(random::bits({7, 11}, 4, k, device));
    ASSERT_EQ(got.size(), 77u);
    for (size_t i = 0; i < got.size(); ++i) {
      auto [o0, o1] = ref_threefry(k0, k1, 0, static_cast<uint32_t>(i / 2));
      ASSERT_EQ(got[i], i % 2 ? o1 : o0) << "seed " << seed << " element " << i;
    }
  }
}

DEVICE_TEST(RandomBits, DeterministicAndKeyDependent) {
  array k = random::key(7);
  auto a = u32(random::bits({1000}, 4, k, device));
  auto b = u32(random::bits({1000}, 4, k, device));
  EXPECT_EQ(a, b);
  // A prefix of a larger draw: element i depends only on (key, i).
  auto c = u32(random::bits({10, 200}, 4, k, device));
  EXPECT_TRUE(std::equal(a.begin(), a.end(), c.begin()));
  // Different keys give (almost entirely) different bits.
  auto d = u32(random::bits({1000}, 4, random::key(8), device));
  int same = 0;
  for (size_t i = 0; i < a.size(); ++i)
    same += a[i] == d[i];
  EXPECT_LE(same, 1);
  auto e = u32(random::bits({1000}, 4, random::key(7ull << 32), device));
  EXPECT_NE(a, e);
  // All values distinct-ish and both halves of the range used.
  std::vector<uint32_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
  EXPECT_LT(sorted.front(), 0x10000000u);
  EXPECT_GT(sorted.back(), 0xf0000000u);
  // Empty and 0-d shapes.
  EXPECT_EQ(random::bits({0, 3}, 4, k, device).shape(), (Shape{0, 3}));
  EXPECT_EQ(random::bits({}, 4, k, device).item<uint32_t>(), a[0]);
  // A non-contiguous key (a column of split keys read through a transposed view).
  array keys = array({5u, 9u, 6u, 10u}, {2, 2}, uint32);  // column 0: {5, 6}, column 1: {9, 10}
  array kt = slice(transpose(keys), {0, 0}, {1, 2});      // (1,2) = [[5, 6]]
  EXPECT_EQ(u32(random::bits({4}, 4, reshape(kt, {2}), device)),
            u32(random::bits({4}, 4, array({5u, 6u}, uint32), device)));
}

DEVICE_TEST(RandomBits, Widths) {
  array k = random::key(123);
  auto w4 = u32(random::bits({6}, 4, k, device));
  array b2 = random::bits({12}, 2, k, device);
  array b1 = random::bits({24}, 1, k, device);
  EXPECT_EQ(b2.dtype(), uint16);
  EXPECT_EQ(b1.dtype(), uint8);
  // Narrow elements are the little-endian pieces of the 32-bit words.
  auto v2 = b2.to_vector<uint16_t>();
  auto v1 = b1.to_vector<uint8_t>();
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(v2[i], static_cast<uint16_t>(w4[i / 2] >> (16 * (i % 2)))) << i;
  for (int i = 0; i < 24; ++i)
    EXPECT_EQ(v1[i], static_cast<uint8_t>(w4[i / 4] >> (8 * (i % 4)))) << i;
  // Byte frequencies are roughly uniform.
  auto many = random::bits({kN}, 1, k, device).to_vector<uint8_t>();
  std::vector<int> hist(256, 0);
  for (auto x : many)
    ++hist[x];
  for (int h : hist) {
    EXPECT_GT(h, kN / 256 * 0.75);
    EXPECT_LT(h, kN / 256 * 1.25);
  }
}

DEVICE_TEST(RandomBits, MatchesAcrossDevices) {
  EXPECT_MATCHES_CPU([](Device d) { return random::bits({3, 5}, 4, random::key(99), d); });
  EXPECT_MATCHES_CPU([](Device d) { return random::bits({33}, 1, random::key(99), d); });
  EXPECT_MATCHES_CPU([](Device d) { return random::uniform({64}, float32, random::key(3), d); });
}

DEVICE_TEST(RandomKeys, Split) {
  array k = random::key(5);
  array ks = random::split(k, 3, device);
  EXPECT_EQ(ks.shape(), (Shape{3, 2}));
  EXPECT_EQ(ks.dtype(), uint32);
  // split(key, n) is the first 2n words of the key's stream.
  EXPECT_EQ(u32(ks), u32(random::bits({6}, 4, k, device)));
  auto [a, b] = random::split(k, device);
  EXPECT_EQ(a.shape(), (Shape{2}));
  auto two = u32(random::split(k, 2, device));
  EXPECT_EQ(u32(a), (std::vector<uint32_t>{two[0], two[1]}));
  EXPECT_EQ(u32(b), (std::vector<uint32_t>{two[2], two[3]}));
  // The subkeys give different streams, and splitting is deterministic.
  EXPECT_NE(u32(random::bits({8}, 4, a, device)), u32(random::bits({8}, 4, b, device)));
  EXPECT_NE(u32(random::bits({8}, 4, a, device)), u32(random::bits({8}, 4, k, device)));
  EXPECT_EQ(u32(random::split(k, 4, device)), u32(random::split(k, 4, device)));
}

TEST(RandomKeys, GlobalSeed) {
  random::seed(42);
  auto a = values(random::uniform({16}));
  auto a2 = values(random::uniform({16}));
  random::seed(42);
  auto b = values(random::uniform({16}));
  auto b2 = values(random::uniform({16}));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a2, b2);
  // Successive draws from the global key differ.
  EXPECT_NE(a, a2);
  random::seed(43);
  EXPECT_NE(values(random::uniform({16})), a);
  // Implicit-key draws of each kind are reproducible after a reseed.
  random::seed(7);
  auto n1 = values(random::normal({8}));
  auto i1 = values(random::randint(array(0), array(100), {8}));
  auto c1 = values(random::bits({8}));
  random::seed(7);
  EXPECT_EQ(values(random::normal({8})), n1);
  EXPECT_EQ(values(random::randint(array(0), array(100), {8})), i1);
  EXPECT_EQ(values(random::bits({8})), c1);
}

TEST(RandomKeys, VmapOverKeys) {
  array keys = random::split(random::key(11), 3);
  ArrayFn f = [](const std::vector<array>& k) {
    return std::vector<array>{random::bits({4}, 4, k[0])};
  };
  auto got = vmap(f, {0})({keys});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].shape(), (Shape{3, 4}));
  auto gv = u32(got[0]);
  for (int i = 0; i < 3; ++i) {
    auto want = u32(random::bits({4}, 4, reshape(slice(keys, {i, 0}, {i + 1, 2}), {2})));
    EXPECT_TRUE(std::equal(want.begin(), want.end(), gv.begin() + 4 * i)) << i;
  }
}

// ------------------------------ distributions ------------------------------

DEVICE_TEST(RandomUniform, BoundsAndMoments) {
  array k = random::key(1);
  array u = random::uniform({kN}, float32, k, device);
  EXPECT_EQ(u.dtype(), float32);
  auto m = moments(u);
  EXPECT_GE(m.min, 0.0);
  EXPECT_LT(m.max, 1.0);
  EXPECT_NEAR(m.mean, 0.5, 0.005);
  EXPECT_NEAR(m.var, 1.0 / 12, 0.002);
  // Determinism for a key.
  EXPECT_EQ(values(u), values(random::uniform({kN}, float32, k, device)));
  // [low, high) with broadcasting bounds.
  array v = random::uniform(array(-2.f), array({0.f, 10.f}), {kN / 2, 2}, float32, k, device);
  auto vv = values(v);
  double s0 = 0, s1 = 0;
  for (int i = 0; i < kN / 2; ++i) {
    ASSERT_GE(vv[2 * i], -2.0);
    ASSERT_LT(vv[2 * i], 0.0);
    ASSERT_GE(vv[2 * i + 1], -2.0);
    ASSERT_LT(vv[2 * i + 1], 10.0);
    s0 += vv[2 * i];
    s1 += vv[2 * i + 1];
  }
  EXPECT_NEAR(s0 / (kN / 2), -1.0, 0.02);
  EXPECT_NEAR(s1 / (kN / 2), 4.0, 0.05);
  // Half-open even when rounding would reach `high`.
  auto w = values(random::uniform(array(1.f), array(1.0000001f), {1000}, float32, k, device));
  for (double x : w)
    ASSERT_LT(x, static_cast<double>(1.0000001f));
}

DEVICE_TEST(RandomUniform, Dtypes) {
  array k = random::key(2);
  for (Dtype t : {float16, bfloat16, float32, float64}) {
    SCOPED_TRACE(dtype_name(t));
    array u = random::uniform({kN}, t, k, device);
    EXPECT_EQ(u.dtype(), t);
    auto m = moments(u);
    EXPECT_GE(m.min, 0.0);
    EXPECT_LT(m.max, 1.0);
    EXPECT_NEAR(m.mean, 0.5, 0.01);
    EXPECT_NEAR(m.var, 1.0 / 12, 0.004);
  }
  // float64 resolves more than float32's 24 bits.
  auto d = values(random::uniform({1000}, float64, k, device));
  int fine = 0;
  for (double x : d)
    fine += x * 16777216.0 != std::floor(x * 16777216.0);
  EXPECT_GT(fine, 900);
}

DEVICE_TEST(RandomUniform, RoundingKeepsDistribution) {
  // Draws that round up to `high` in a narrow dtype must not pile up at `low`: exact zeros from
  // U[0, 1) have probability ~2^-24, so there should be (almost) none.
  array k = random::key(9);
  for (Dtype t : {bfloat16, float16, float32}) {
    SCOPED_TRACE(dtype_name(t));
    auto v = values(random::uniform({kN}, t, k, device));
    EXPECT_LE(std::count(v.begin(), v.end(), 0.0), 2);
    EXPECT_LT(*std::max_element(v.begin(), v.end()), 1.0);
    // Negative bounds. Round-to-nearest gives `low` half a grid step of mass (spacing in [1, 2):
    // 2^-7 for bfloat16, 2^-10 for float16), not that plus the draws rounding to `high`.
    auto w = values(random::uniform(array(-2.f), array(-1.f), {kN}, t, k, device));
    double half = t == bfloat16 ? 1.0 / 256 : (t == float16 ? 1.0 / 2048 : 0.0);
    EXPECT_LE(std::count(w.begin(), w.end(), -2.0), 1.4 * half * kN + 5);
    EXPECT_LT(*std::max_element(w.begin(), w.end()), -1.0);
    EXPECT_GE(*std::min_element(w.begin(), w.end()), -2.0);
  }
  // A range narrower than one float16 step: everything lands on `low`.
  auto n = values(random::uniform(array(1.f), array(1.0001f), {100}, float16, k, device));
  for (double x : n)
    EXPECT_EQ(x, 1.0);
}

DEVICE_TEST(RandomNormal, Moments) {
  array k = random::key(3);
  array z = random::normal({kN}, float32, k, device);
  EXPECT_EQ(z.dtype(), float32);
  auto m = moments(z);
  EXPECT_NEAR(m.mean, 0.0, 0.02);
  EXPECT_NEAR(m.var, 1.0, 0.03);
  EXPECT_TRUE(std::isfinite(m.min) && std::isfinite(m.max));
  EXPECT_LT(m.min, -3.5);
  EXPECT_GT(m.max, 3.5);
  // Fraction within one standard deviation: 0.6827.
  auto v = values(z);
  double within = std::count_if(v.begin(), v.end(), [](double x) { return std::abs(x) < 1; });
  EXPECT_NEAR(within / kN, 0.6827, 0.01);
  // loc and scale.
  auto m2 = moments(random::normal({kN}, float32, 2.f, 3.f, k, device));
  EXPECT_NEAR(m2.mean, 2.0, 0.06);
  EXPECT_NEAR(std::sqrt(m2.var), 3.0, 0.05);
  // Array loc/scale broadcast per column.
  array c = random::normal({kN / 2, 2}, float32, array({-5.f, 5.f}), array({0.5f, 2.f}), k, device);
  auto cv = values(c);
  double a0 = 0, a1 = 0;
  for (int i = 0; i < kN / 2; ++i) {
    a0 += cv[2 * i];
    a1 += cv[2 * i + 1];
  }
  EXPECT_NEAR(a0 / (kN / 2), -5.0, 0.02);
  EXPECT_NEAR(a1 / (kN / 2), 5.0, 0.06);
  for (Dtype t : {float16, bfloat16, float64}) {
    SCOPED_TRACE(dtype_name(t));
    array y = random::normal({kN}, t, k, device);
    EXPECT_EQ(y.dtype(), t);
    auto my = moments(y);
    EXPECT_NEAR(my.mean, 0.0, 0.02);
    EXPECT_NEAR(my.var, 1.0, 0.04);
    EXPECT_TRUE(std::isfinite(my.min) && std::isfinite(my.max));
  }
}

DEVICE_TEST(RandomTruncatedNormal, Bounds) {
  array k = random::key(4);
  array t = random::truncated_normal(array(-1.f), array(2.f), {kN}, float32, k, device);
  EXPECT_EQ(t.shape(), (Shape{kN}));
  auto m = moments(t);
  EXPECT_GE(m.min, -1.0);
  EXPECT_LE(m.max, 2.0);
  // Mean of N(0,1) truncated to [-1, 2]: (phi(-1) - phi(2)) / (Phi(2) - Phi(-1)).
  auto phi = [](double x) { return std::exp(-x * x / 2) / std::sqrt(2 * M_PI); };
  auto Phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  double mean = (phi(-1) - phi(2)) / (Phi(2) - Phi(-1));
  EXPECT_NEAR(m.mean, mean, 0.01);
  // Bounds broadcast to the shape; the shape-less form takes the bounds' shape.
  array lo = array({-0.5f, 0.f, 1.f}), hi = array({0.5f, 3.f, 1.5f});
  array s = random::truncated_normal(lo, hi, {kN / 4, 3}, float32, k, device);
  auto sv = values(s);
  for (size_t i = 0; i < sv.size(); ++i) {
    int c = i % 3;
    double l = c == 0 ? -0.5 : (c == 1 ? 0.0 : 1.0), h = c == 0 ? 0.5 : (c == 1 ? 3.0 : 1.5);
    ASSERT_GE(sv[i], l);
    ASSERT_LE(sv[i], h);
  }
  array r = random::truncated_normal(lo, hi, float64, k, device);
  EXPECT_EQ(r.shape(), (Shape{3}));
  EXPECT_EQ(r.dtype(), float64);
  for (Dtype d : {float16, bfloat16}) {
    auto md = moments(random::truncated_normal(array(-2.f), array(2.f), {1000}, d, k, device));
    EXPECT_GE(md.min, -2.0);
    EXPECT_LE(md.max, 2.0);
  }
}

DEVICE_TEST(RandomRandint, RangeAndDtype) {
  array k = random::key(5);
  array r = random::randint(array(-3), array(7), {kN}, int32, k, device);
  EXPECT_EQ(r.dtype(), int32);
  auto v = values(r);
  std::vector<int> hist(10, 0);
  for (double x : v) {
    ASSERT_GE(x, -3);
    ASSERT_LT(x, 7);
    ASSERT_EQ(x, std::floor(x));
    ++hist[static_cast<int>(x) + 3];
  }
  for (int h : hist) {
    EXPECT_NEAR(h, kN / 10, kN / 10 * 0.06);
  }
  for (Dtype t : {int8, int16, int64, uint8, uint32, uint64}) {
    SCOPED_TRACE(dtype_name(t));
    array x = random::randint(array(0), array(100), {1000}, t, k, device);
    EXPECT_EQ(x.dtype(), t);
    auto m = moments(x);
    EXPECT_GE(m.min, 0);
    EXPECT_LE(m.max, 99);
    EXPECT_NEAR(m.mean, 49.5, 3.0);
  }
  // A range of one value; bounds broadcast per column.
  EXPECT_EQ(values(random::randint(array(4), array(5), {5}, int32, k, device)),
            (std::vector<double>(5, 4.0)));
  auto b = values(random::randint(array({0, 100}), array({2, 103}), {50, 2}, int32, k, device));
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(b[2 * i] == 0 || b[2 * i] == 1);
    EXPECT_TRUE(b[2 * i + 1] >= 100 && b[2 * i + 1] <= 102);
  }
}

DEVICE_TEST(RandomBernoulli, Frequency) {
  array k = random::key(6);
  array b = random::bernoulli(array(0.3f), {kN}, k, device);
  EXPECT_EQ(b.dtype(), bool_);
  EXPECT_NEAR(moments(b).mean, 0.3, 0.01);
  // Per-element p.
  array p = array({0.f, 1.f, 0.9f});
  auto v = values(random::bernoulli(p, {kN / 4, 3}, k, device));
  double s[3] = {0, 0, 0};
  for (size_t i = 0; i < v.size(); ++i)
    s[i % 3] += v[i];
  EXPECT_EQ(s[0], 0);
  EXPECT_EQ(s[1], kN / 4);
  EXPECT_NEAR(s[2] / (kN / 4), 0.9, 0.01);
  // Shape-less forms.
  EXPECT_EQ(random::bernoulli(p, k, device).shape(), (Shape{3}));
  EXPECT_EQ(random::bernoulli(k, device).shape(), (Shape{}));
  EXPECT_EQ(random::bernoulli(array(0.5, float64), {4}, k, device).dtype(), bool_);
}

DEVICE_TEST(RandomCategorical, Frequencies) {
  array k = random::key(7);
  std::vector<float> logits{0.f, 1.f, 2.f, -1.f};
  double z = 0;
  for (float l : logits)
    z += std::exp(l);
  array c = random::categorical(array(logits, {4}), 0, Shape{kN}, k, device);
  EXPECT_EQ(c.shape(), (Shape{kN}));
  EXPECT_TRUE(is_integral(c.dtype()));
  auto v = values(c);
  std::vector<double> freq(4, 0);
  for (double x : v) {
    ASSERT_GE(x, 0);
    ASSERT_LT(x, 4);
    freq[static_cast<int>(x)] += 1.0 / kN;
  }
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(freq[i], std::exp(logits[i]) / z, 0.01) << i;
  // Batched logits along axis 0: each column samples its own distribution.
  array l2 = array({0.f, -50.f, -50.f, 0.f}, {2, 2});  // column 0 -> 0, column 1 -> 1
  array s = random::categorical(l2, 0, k, device);
  EXPECT_EQ(s.shape(), (Shape{2}));
  EXPECT_EQ(values(s), (std::vector<double>{0, 1}));
  array ns = random::categorical(l2, 0, 5, k, device);
  EXPECT_EQ(ns.shape(), (Shape{2, 5}));
  EXPECT_EQ(values(ns), (std::vector<double>{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}));
  // num_samples form along the last axis: frequencies too.
  auto w = values(random::categorical(array(logits, {4}), -1, kN, k, device));
  std::vector<double> f2(4, 0);
  for (double x : w)
    f2[static_cast<int>(x)] += 1.0 / kN;
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(f2[i], std::exp(logits[i]) / z, 0.01) << i;
}

DEVICE_TEST(RandomGumbelLaplace, Moments) {
  array k = random::key(8);
  auto g = moments(random::gumbel({kN}, float32, k, device));
  EXPECT_NEAR(g.mean, 0.5772156649, 0.02);
  EXPECT_NEAR(g.var, M_PI * M_PI / 6, 0.05);
  EXPECT_TRUE(std::isfinite(g.min) && std::isfinite(g.max));
  auto g64 = moments(random::gumbel({kN}, float64, k, device));
  EXPECT_NEAR(g64.mean, 0.5772156649, 0.02);
  auto l = moments(random::laplace({kN}, float32, 0.f, 1.f, k, device));
  EXPECT_NEAR(l.mean, 0.0, 0.02);
  EXPECT_NEAR(l.var, 2.0, 0.07);
  EXPECT_TRUE(std::isfinite(l.min) && std::isfinite(l.max));
  auto l2 = moments(random::laplace({kN}, 3.f, 0.5f, k, device));
  EXPECT_NEAR(l2.mean, 3.0, 0.01);
  EXPECT_NEAR(l2.var, 0.5, 0.02);
  for (Dtype t : {float16, bfloat16, float64}) {
    SCOPED_TRACE(dtype_name(t));
    array gt = random::gumbel({1000}, t, k, device);
    array lt = random::laplace({1000}, t, 0.f, 1.f, k, device);
    EXPECT_EQ(gt.dtype(), t);
    EXPECT_EQ(lt.dtype(), t);
    EXPECT_TRUE(std::isfinite(moments(gt).max) && std::isfinite(moments(lt).max));
  }
}

// ------------------------------ errors ------------------------------

DEVICE_TEST(RandomErrors, Messages) {
  using E = std::invalid_argument;
  array k = random::key(0);
  EXPECT_THROW_MSG(random::bits({2}, 4, array({1u, 2u, 3u}, uint32), device), E,
                   "[bits] Expected a key of shape (2,) and dtype uint32; got shape (3,) and dtype "
                   "uint32.");
  EXPECT_THROW_MSG(random::bits({2}, 4, array({1, 2}), device), E,
                   "[bits] Expected a key of shape (2,) and dtype uint32; got shape (2,) and dtype "
                   "int32.");
  EXPECT_THROW_MSG(random::bits({2}, 4, array({1u, 2u}, {1, 2}, uint32), device), E,
                   "got shape (1,2)");
  EXPECT_THROW_MSG(random::bits({2}, 3, k, device), E, "[bits] width must be 1, 2 or 4 bytes");
  EXPECT_THROW_MSG(random::bits({-1}, 4, k, device), E, "[bits] Negative dimension");
  EXPECT_THROW_MSG(random::split(k, 0, device), E, "[split] num must be positive");
  EXPECT_THROW_MSG(random::split(array({1.f, 2.f}), 2, device), E, "[split] Expected a key");
  EXPECT_THROW_MSG(random::uniform({2}, int32, k, device), E,
                   "[uniform] Requires a floating-point dtype; got int32.");
  EXPECT_THROW_MSG(random::uniform({2}, complex64, k, device), E, "[uniform]");
  EXPECT_THROW_MSG(random::uniform(array({0.f, 1.f, 2.f}), array(1.f), {2}, float32, k, device), E,
                   "[uniform]");
  EXPECT_THROW_MSG(random::uniform({2}, float32, array({1u}, uint32), device), E,
                   "[uniform] Expected a key");
  EXPECT_THROW_MSG(random::normal({2}, int32, k, device), E, "[normal] Requires a floating-point");
  EXPECT_THROW_MSG(random::truncated_normal(array(0.f), array(1.f), {2}, uint8, k, device), E,
                   "[truncated_normal] Requires a floating-point");
  EXPECT_THROW_MSG(random::randint(array(0), array(5), {2}, float32, k, device), E,
                   "[randint] Requires an integer dtype; got float32.");
  EXPECT_THROW_MSG(random::bernoulli(array({0.5f, 0.5f}), {3}, k, device), E,
                   "[bernoulli] p of shape (2,) does not broadcast to shape (3,).");
  EXPECT_THROW_MSG(random::gumbel({2}, int32, k, device), E, "[gumbel]");
  EXPECT_THROW_MSG(random::laplace({2}, int32, 0.f, 1.f, k, device), E, "[laplace]");
  EXPECT_THROW_MSG(random::categorical(array({0.f, 1.f}), 1, k, device), E,
                   "[categorical] Invalid axis 1");
  EXPECT_THROW_MSG(random::categorical(zeros({2, 3}), -1, Shape{3}, k, device), E,
                   "[categorical] Shape (3,) is not broadcast-compatible");
  EXPECT_THROW_MSG(random::categorical(zeros({3}), 0, -1, k, device), E,
                   "[categorical] num_samples must be non-negative.");
}

// ============================== MLX overloads ==============================

DEVICE_TEST(Random, ScalarAndDefaultOverloads) {
  array k = random::key(11);
  EXPECT_EQ(values(random::bits({5}, k, device)), values(random::bits({5}, 4, k, device)));
  EXPECT_EQ(random::bits({5}, k, device).dtype(), uint32);
  EXPECT_EQ(values(random::uniform(-1.f, 2.f, {6}, float32, k, device)),
            values(random::uniform(array(-1.f), array(2.f), {6}, float32, k, device)));
  EXPECT_EQ(values(random::randint(0, 10, {6}, int32, k, device)),
            values(random::randint(array(0), array(10), {6}, int32, k, device)));
  EXPECT_EQ(values(random::bernoulli(0.3f, {8}, k, device)),
            values(random::bernoulli(array(0.3f), {8}, k, device)));
  EXPECT_EQ(values(random::bernoulli(0.3f, k, device)),
            values(random::bernoulli(array(0.3f), k, device)));
  EXPECT_EQ(values(random::laplace({6}, float16, k, device)),
            values(random::laplace({6}, float16, 0.f, 1.f, k, device)));
  EXPECT_EQ(values(random::laplace({6}, k, device)),
            values(random::laplace({6}, float32, 0.f, 1.f, k, device)));
  EXPECT_THROW_MSG(random::laplace({2}, int32, k, device), std::invalid_argument, "[laplace]");
  EXPECT_THROW_MSG(random::bits({2}, 3, k, device), std::invalid_argument, "[bits]");
}
