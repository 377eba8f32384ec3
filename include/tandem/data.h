// Copyright © 2026 Tandem authors.
// Data loading: the IDX format of (Fashion-)MNIST, and a shuffling mini-batch iterator.
// (Beyond MLX's C++ API; MLX keeps data loading in the separate mlx-data library.)
//
//   auto images = tx::data::load_idx(dir + "/train-images-idx3-ubyte.gz");  // (60000, 28, 28) u8
//   auto labels = tx::data::load_idx(dir + "/train-labels-idx1-ubyte.gz");  // (60000,) u8
//   tx::data::BatchIterator batches({images, labels}, 128, /*shuffle=*/true, /*seed=*/0);
//   for (int epoch = 0; epoch < 10; ++epoch) {
//     for (const auto& b : batches) { /* b[0]: (128, 28, 28), b[1]: (128,) */ }
//     batches.reset();  // the next epoch, in a new order
//   }
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem::data {

/// Reads an IDX file (http://yann.lecun.com/exdb/mnist/: two zero bytes, a type code, the number
/// of dimensions, big-endian uint32 extents, big-endian data), gzip-compressed or not (detected
/// from the content, so a ".gz" name is not required). The result has the file's shape and dtype:
/// 0x08 -> uint8, 0x09 -> int8, 0x0B -> int16, 0x0C -> int32, 0x0D -> float32, 0x0E -> float64.
/// It is read at once (not lazily). Throws std::runtime_error("[load_idx] ...") for a missing,
/// truncated or malformed file, or one with bytes after its data.
array load_idx(const std::string& path);

/// Mini-batches over arrays that share their first dimension (samples), e.g. {images, labels}.
/// Each batch holds the same samples of every array, batch_size of them (the last batch may be
/// smaller unless drop_last). With `shuffle`, every epoch visits the samples in a new order: a
/// permutation determined only by (seed, epoch), so runs are reproducible and identical on every
/// device and platform; without it, batches are contiguous slices in order. Batches are lazy
/// arrays (slices or takes of the inputs) built when an iterator is dereferenced.
class BatchIterator {
 public:
  BatchIterator(std::vector<array> arrays, int batch_size, bool shuffle = false, uint64_t seed = 0,
                bool drop_last = false, StreamOrDevice s = {});

  /// Number of samples (the arrays' first extent).
  int num_samples() const { return num_samples_; }
  int batch_size() const { return batch_size_; }
  /// Number of batches per epoch.
  size_t size() const;
  /// The current epoch (0 at first).
  int epoch() const { return epoch_; }
  /// Start the next epoch (with `shuffle`, a new order).
  void reset() { set_epoch(epoch_ + 1); }
  /// Jump to epoch `e` (its order depends only on the seed and e).
  void set_epoch(int e);
  /// The sample indices of the current epoch, in visiting order.
  const std::vector<int32_t>& order() const { return order_; }
  /// Batch i of the current epoch: one array per input.
  std::vector<array> batch(size_t i) const;

  class iterator {
   public:
    using value_type = std::vector<array>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(const BatchIterator* owner, size_t i) : owner_(owner), i_(i) {}
    const std::vector<array>& operator*() const;
    const std::vector<array>* operator->() const { return &**this; }
    iterator& operator++() {
      ++i_;
      cache_.clear();
      return *this;
    }
    bool operator==(const iterator& o) const { return i_ == o.i_; }
    bool operator!=(const iterator& o) const { return i_ != o.i_; }
    size_t index() const { return i_; }

   private:
    const BatchIterator* owner_{nullptr};
    size_t i_{0};
    mutable std::vector<array> cache_;
  };
  iterator begin() const { return iterator(this, 0); }
  iterator end() const { return iterator(this, size()); }

 private:
  std::vector<array> arrays_;
  int num_samples_;
  int batch_size_;
  bool shuffle_;
  uint64_t seed_;
  bool drop_last_;
  StreamOrDevice stream_;
  int epoch_{0};
  std::vector<int32_t> order_;
};

}  // namespace tandem::data
