// Copyright © 2026 Tandem authors.
#include <stdexcept>

#include "tandem/data.h"
#include "tandem/ops.h"

namespace tandem::data {

namespace {

// SplitMix64: a small, fast generator with a fixed definition (std::shuffle and the standard
// distributions differ between standard libraries; these orders must not).
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), without modulo bias.
  uint64_t below(uint64_t n) {
    uint64_t threshold = (0 - n) % n;
    while (true) {
      uint64_t r = next();
      if (r >= threshold) return r % n;
    }
  }
};

}  // namespace

BatchIterator::BatchIterator(std::vector<array> arrays, int batch_size, bool shuffle, uint64_t seed,
                             bool drop_last, StreamOrDevice s)
    : arrays_(std::move(arrays)),
      batch_size_(batch_size),
      shuffle_(shuffle),
      seed_(seed),
      drop_last_(drop_last),
      stream_(s) {
  if (arrays_.empty()) throw std::invalid_argument("[BatchIterator] No arrays given.");
  if (batch_size <= 0) {
    throw std::invalid_argument("[BatchIterator] The batch size must be positive; got " +
                                std::to_string(batch_size) + ".");
  }
  for (auto& a : arrays_) {
    if (a.ndim() == 0)
      throw std::invalid_argument(
          "[BatchIterator] The arrays need a sample dimension; got a 0-d array.");
    if (a.shape(0) != arrays_[0].shape(0)) {
      throw std::invalid_argument(
          "[BatchIterator] The arrays must have the same first extent; got " +
          std::to_string(arrays_[0].shape(0)) + " and " + std::to_string(a.shape(0)) + ".");
    }
  }
  num_samples_ = arrays_[0].shape(0);
  set_epoch(0);
}

size_t BatchIterator::size() const {
  size_t n = static_cast<size_t>(num_samples_), b = static_cast<size_t>(batch_size_);
  return drop_last_ ? n / b : (n + b - 1) / b;
}

void BatchIterator::set_epoch(int e) {
  epoch_ = e;
  order_.resize(num_samples_);
  for (int i = 0; i < num_samples_; ++i)
    order_[i] = i;
  if (!shuffle_) return;
  // A generator per (seed, epoch): mixing both through SplitMix64 decorrelates nearby seeds.
  SplitMix64 mix{seed_};
  SplitMix64 rng{mix.next() ^
                 (static_cast<uint64_t>(static_cast<uint32_t>(e)) * 0xD1B54A32D192ED03ull)};
  for (size_t i = order_.size(); i > 1; --i)
    std::swap(order_[i - 1], order_[rng.below(i)]);
}

std::vector<array> BatchIterator::batch(size_t i) const {
  if (i >= size()) {
    throw std::out_of_range("[BatchIterator] Batch " + std::to_string(i) + " of an epoch of " +
                            std::to_string(size()) + " batches.");
  }
  int start = static_cast<int>(i * batch_size_);
  int stop = std::min(num_samples_, start + batch_size_);
  std::vector<array> out;
  out.reserve(arrays_.size());
  if (shuffle_) {
    array idx(order_.data() + start, {stop - start}, int32);
    for (auto& a : arrays_)
      out.push_back(take(a, idx, 0, stream_));
  } else {
    for (auto& a : arrays_) {
      Shape lo(a.ndim(), 0), hi = a.shape();
      lo[0] = start;
      hi[0] = stop;
      out.push_back(slice(a, lo, hi, stream_));
    }
  }
  return out;
}

const std::vector<array>& BatchIterator::iterator::operator*() const {
  if (cache_.empty()) cache_ = owner_->batch(i_);
  return cache_;
}

}  // namespace tandem::data
