// Copyright © 2026 Tandem authors.
// Data loading (data.h): IDX files (plain and gzip) and the mini-batch iterator.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>

#include "harness.h"
#include "tandem/data.h"

using namespace tandem;
using data::BatchIterator;
using data::load_idx;

namespace {

std::string tmp(const std::string& name) {
  return ::testing::TempDir() + "tandem_data_" + std::to_string(::getpid()) + "_" + name;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string le32(uint32_t v) {
  return {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
          static_cast<char>(v >> 24)};
}

// An IDX file: magic, big-endian extents, then `data` (already big-endian).
std::string idx_file(uint8_t type, const std::vector<uint32_t>& dims, const std::string& data) {
  std::string s{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (auto d : dims)
    s += be32(d);
  return s + data;
}

// CRC-32 (IEEE, reflected), bit by bit: an independent check of the gzip trailer.
uint32_t crc32_ref(const std::string& s) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k)
      c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

// A gzip file (RFC 1952) holding `s` in stored deflate blocks (RFC 1951), written by hand.
std::string gzip_stored(const std::string& s) {
  std::string g("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  size_t pos = 0;
  do {
    size_t n = std::min<size_t>(s.size() - pos, 65535);
    bool last = pos + n == s.size();
    g += static_cast<char>(last ? 1 : 0);
    g += static_cast<char>(n & 0xFF);
    g += static_cast<char>(n >> 8);
    g += static_cast<char>(~n & 0xFF);
    g += static_cast<char>((~n >> 8) & 0xFF);
    g += s.substr(pos, n);
    pos += n;
  } while (pos < s.size());
  return g + le32(crc32_ref(s)) + le32(static_cast<uint32_t>(s.size()));
}

}  // namespace

// ================================ IDX ================================

TEST(DataIdx, ReadsHandMadeFilesPlainAndGzip) {
  std::string pixels;
  for (int i = 0; i < 2 * 3 * 4; ++i)
    pixels += static_cast<char>(i * 10);
  std::string file = idx_file(0x08, {2, 3, 4}, pixels);
  auto plain = tmp("images-idx3-ubyte");
  auto gz = plain + ".gz";
  write_file(plain, file);
  write_file(gz, gzip_stored(file));
  for (auto& p : {plain, gz}) {
    SCOPED_TRACE(p);
    array a = load_idx(p);
    EXPECT_EQ(a.dtype(), uint8);
    std::vector<uint8_t> expect;
    for (int i = 0; i < 24; ++i)
      expect.push_back(static_cast<uint8_t>(i * 10));
    EXPECT_ARRAY_EQ(a, expect, Shape{2, 3, 4});
  }
  // A gzip stream larger than one stored block.
  std::string big;
  for (int i = 0; i < 70000; ++i)
    big += static_cast<char>(i % 251);
  write_file(gz, gzip_stored(idx_file(0x08, {70000}, big)));
  array b = load_idx(gz);
  EXPECT_EQ(b.shape(), Shape{70000});
  EXPECT_EQ(b.to_vector<uint8_t>()[69999], 69999 % 251);
  std::remove(plain.c_str());
  std::remove(gz.c_str());
}

TEST(DataIdx, ReadsEveryTypeBigEndian) {
  auto path = tmp("types-idx");
  auto be = [](auto v) {
    std::string s(reinterpret_cast<const char*>(&v), sizeof(v));
    std::reverse(s.begin(), s.end());
    return s;
  };
  write_file(path, idx_file(0x09, {3}, std::string("\x01\xff\x80", 3)));
  EXPECT_ARRAY_EQ(load_idx(path), std::vector<int8_t>{1, -1, -128}, Shape{3});
  write_file(path, idx_file(0x0B, {2}, be(int16_t{-300}) + be(int16_t{7})));
  EXPECT_ARRAY_EQ(load_idx(path), std::vector<int16_t>{-300, 7}, Shape{2});
  write_file(path, idx_file(0x0C, {1, 2}, be(int32_t{-70000}) + be(int32_t{123456})));
  EXPECT_ARRAY_EQ(load_idx(path), std::vector<int32_t>{-70000, 123456}, Shape{1, 2});
  write_file(path, idx_file(0x0D, {2}, be(1.5f) + be(-0.25f)));
  EXPECT_ARRAY_EQ(load_idx(path), std::vector<float>{1.5f, -0.25f}, Shape{2});
  write_file(path, idx_file(0x0E, {1}, be(3.0e100)));
  EXPECT_ARRAY_EQ(load_idx(path), std::vector<double>{3.0e100}, Shape{1});
  write_file(path, idx_file(0x08, {0, 28}, ""));
  EXPECT_EQ(load_idx(path).shape(), (Shape{0, 28}));
  std::remove(path.c_str());
}

TEST(DataIdx, BadFilesThrowClearly) {
  auto path = tmp("bad-idx");
  auto expect_bad = [&](const std::string& bytes, const std::string& msg) {
    write_file(path, bytes);
    EXPECT_THROW_MSG(load_idx(path), std::runtime_error, "[load_idx]");
    EXPECT_THROW_MSG(load_idx(path), std::runtime_error, msg);
  };
  expect_bad(std::string("\x01\x00\x08\x01", 4) + be32(1) + "x", "bad magic");
  expect_bad(idx_file(0x07, {1}, "x"), "unknown IDX type code 7");
  expect_bad(idx_file(0x08, {3}, "xyzw"), "bytes after the 3 bytes of data");
  expect_bad(idx_file(0x08, {0x80000000u}, ""), "has an extent of 2147483648");
  // Cut at every length, plain and gzip: always a clear error.
  std::string good = idx_file(0x0C, {2, 2}, std::string(16, '\x01'));
  for (size_t n = 0; n < good.size(); ++n) {
    expect_bad(good.substr(0, n), "truncated");
  }
  std::string gz = gzip_stored(good);
  for (size_t n = 0; n < gz.size(); ++n) {
    write_file(path, gz.substr(0, n));
    EXPECT_THROW_MSG(load_idx(path), std::runtime_error, "[load_idx]");
  }
  EXPECT_THROW_MSG(load_idx(path + ".missing"), std::runtime_error, "Failed to open file");
  std::remove(path.c_str());
}

TEST(DataIdx, FashionMnistShapes) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  std::ifstream probe(dir + "/t10k-labels-idx1-ubyte.gz");
  if (!probe) GTEST_SKIP() << "Fashion-MNIST not installed in " << dir;
  array train_x = load_idx(dir + "/train-images-idx3-ubyte.gz");
  array train_y = load_idx(dir + "/train-labels-idx1-ubyte.gz");
  array test_x = load_idx(dir + "/t10k-images-idx3-ubyte.gz");
  array test_y = load_idx(dir + "/t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(train_x.shape(), (Shape{60000, 28, 28}));
  EXPECT_EQ(train_y.shape(), (Shape{60000}));
  EXPECT_EQ(test_x.shape(), (Shape{10000, 28, 28}));
  EXPECT_EQ(test_y.shape(), (Shape{10000}));
  EXPECT_EQ(train_x.dtype(), uint8);
  EXPECT_EQ(max(train_y).item<int>(), 9);
  EXPECT_EQ(min(test_y).item<int>(), 0);
  // Each class is exactly one tenth of the data sets.
  auto counts = sum(equal(expand_dims(test_y, 1), arange(10, uint8)), 0);
  EXPECT_EQ(counts.to_vector<int>(), std::vector<int>(10, 1000));
}

// ============================ BatchIterator ============================

namespace {

// The sample ids of every batch of one epoch, read from the data (ids are the values).
std::vector<std::vector<int>> epoch_ids(const BatchIterator& it) {
  std::vector<std::vector<int>> out;
  for (const auto& b : it) {
    auto x = b[0], y = b[1];
    EXPECT_EQ(x.shape(0), y.shape(0));
    auto xs = x.to_vector<int>();
    auto ys = y.to_vector<float>();
    std::vector<int> ids;
    for (int i = 0; i < x.shape(0); ++i) {
      // Rows stay paired across arrays: row i of x is (id, id + 1000), y is id / 2.
      EXPECT_EQ(xs[2 * i + 1], xs[2 * i] + 1000);
      EXPECT_EQ(ys[i], xs[2 * i] / 2.0f);
      ids.push_back(xs[2 * i]);
    }
    out.push_back(ids);
  }
  return out;
}

std::pair<array, array> id_data(int n) {
  std::vector<int> xv;
  std::vector<float> yv;
  for (int i = 0; i < n; ++i) {
    xv.push_back(i);
    xv.push_back(i + 1000);
    yv.push_back(i / 2.0f);
  }
  return {array(xv, {n, 2}), array(yv, {n})};
}

}  // namespace

TEST(DataBatches, CoverEverySampleOncePerEpoch) {
  for (bool shuffle : {false, true}) {
    for (bool drop_last : {false, true}) {
      for (int n : {1, 7, 64, 100}) {
        for (int bs : {1, 8, 32, 200}) {
          SCOPED_TRACE("shuffle " + std::to_string(shuffle) + " drop_last " +
                       std::to_string(drop_last) + " n " + std::to_string(n) + " batch " +
                       std::to_string(bs));
          auto [x, y] = id_data(n);
          BatchIterator it({x, y}, bs, shuffle, 42, drop_last);
          size_t expect_batches = drop_last ? n / bs : (n + bs - 1) / bs;
          EXPECT_EQ(it.size(), expect_batches);
          for (int epoch = 0; epoch < 2; ++epoch) {
            auto batches = epoch_ids(it);
            ASSERT_EQ(batches.size(), expect_batches);
            std::multiset<int> seen;
            for (size_t k = 0; k < batches.size(); ++k) {
              bool last = k + 1 == batches.size();
              if (!last || drop_last || n % bs == 0)
                EXPECT_EQ(batches[k].size(), static_cast<size_t>(bs));
              seen.insert(batches[k].begin(), batches[k].end());
            }
            size_t expect_seen = drop_last ? expect_batches * bs : n;
            EXPECT_EQ(seen.size(), expect_seen);
            EXPECT_EQ(std::set<int>(seen.begin(), seen.end()).size(), seen.size());  // no repeats
            if (!shuffle) {
              // In order: batch k holds samples k*bs, k*bs+1, ...
              int next = 0;
              for (auto& b : batches)
                for (int id : b)
                  EXPECT_EQ(id, next++);
            }
            it.reset();
          }
        }
      }
    }
  }
}

TEST(DataBatches, ShufflesDifferentlyPerEpochAndDeterministically) {
  auto [x, y] = id_data(100);
  BatchIterator a({x, y}, 10, true, 7);
  BatchIterator b({x, y}, 10, true, 7);
  BatchIterator c({x, y}, 10, true, 8);
  auto a0 = epoch_ids(a);
  EXPECT_EQ(a0, epoch_ids(b));  // same seed, same order
  EXPECT_NE(a0, epoch_ids(c));  // another seed, another order
  std::vector<int> identity(100);
  for (int i = 0; i < 100; ++i)
    identity[i] = i;
  EXPECT_NE(std::vector<int>(a.order().begin(), a.order().end()), identity);
  a.reset();
  EXPECT_EQ(a.epoch(), 1);
  auto a1 = epoch_ids(a);
  EXPECT_NE(a0, a1);  // a new order each epoch
  // An epoch's order depends only on (seed, epoch).
  b.set_epoch(1);
  EXPECT_EQ(epoch_ids(b), a1);
  b.set_epoch(0);
  EXPECT_EQ(epoch_ids(b), a0);
  // The documented generator (SplitMix64 + Fisher-Yates) is fixed: these orders never change.
  BatchIterator small({arange(10)}, 10, true, 0);
  EXPECT_EQ(small.order(), (std::vector<int32_t>{0, 1, 4, 6, 3, 9, 8, 7, 2, 5}));
  small.reset();
  EXPECT_EQ(small.order(), (std::vector<int32_t>{7, 5, 1, 6, 2, 8, 3, 9, 0, 4}));
  array first = small.begin()->at(0);
  EXPECT_EQ(first.to_vector<int>(), (std::vector<int>{7, 5, 1, 6, 2, 8, 3, 9, 0, 4}));
}

TEST(DataBatches, IteratorAndErrors) {
  auto [x, y] = id_data(10);
  BatchIterator it({x, y}, 4);
  auto b = it.begin();
  EXPECT_EQ((*b)[0].shape(), (Shape{4, 2}));
  EXPECT_EQ(b->size(), 2u);
  ++b;
  ++b;
  EXPECT_EQ((*b)[0].shape(), (Shape{2, 2}));  // the last, partial batch
  ++b;
  EXPECT_TRUE(b == it.end());
  EXPECT_EQ(it.batch(1)[1].to_vector<float>(), (std::vector<float>{2.f, 2.5f, 3.f, 3.5f}));
  EXPECT_THROW_MSG(it.batch(3), std::out_of_range, "[BatchIterator] Batch 3");
  EXPECT_THROW_MSG(BatchIterator({x, zeros({9})}, 4), std::invalid_argument,
                   "same first extent; got 10 and 9");
  EXPECT_THROW_MSG(BatchIterator({x}, 0), std::invalid_argument, "must be positive");
  EXPECT_THROW_MSG(BatchIterator({array(1.f)}, 1), std::invalid_argument, "0-d");
  EXPECT_THROW_MSG(BatchIterator({}, 1), std::invalid_argument, "No arrays");
}
