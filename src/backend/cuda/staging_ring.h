// Copyright © 2026 Tandem authors.
// The bookkeeping of a staging ring (pinned.h): spans of a fixed region of `capacity` bytes are
// handed out in FIFO order and given back from the oldest. Plain C++ with no CUDA types, so that
// tests can drive it on any machine (tests/test_memory.cpp).
//
// Spans are contiguous: a request that does not fit between the newest span and the end of the
// region starts again at offset 0 when the oldest span leaves room there (the bytes skipped at
// the end are reused once the ring wraps past them). A span lives until every older span is gone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <utility>

namespace tandem::cuda {

template <typename T>
class StagingRing {
 public:
  struct Slot {
    size_t off;
    size_t size;
    uint64_t seq;  // consecutive from 0 in the order of push
    T data;
  };
  static constexpr size_t npos = std::numeric_limits<size_t>::max();

  explicit StagingRing(size_t capacity) : capacity_(capacity) {}

  size_t capacity() const { return capacity_; }
  bool empty() const { return slots_.empty(); }
  size_t size() const { return slots_.size(); }
  Slot& front() { return slots_.front(); }
  Slot& back() { return slots_.back(); }

  /// The offset where `n` (> 0) bytes fit after the newest span, or npos.
  size_t find(size_t n) const {
    if (n == 0 || n > capacity_) return npos;
    if (slots_.empty()) return 0;
    const size_t tail = slots_.front().off;                      // the oldest span's start
    const size_t head = slots_.back().off + slots_.back().size;  // just past the newest span
    // Wrapped: the newest span lies before the oldest one, so the free bytes are [head, tail).
    const bool wrapped = slots_.back().off < tail;
    if (wrapped) return tail - head >= n ? head : npos;
    // Not wrapped: the free bytes are [head, capacity) and [0, tail).
    if (capacity_ - head >= n) return head;
    if (tail >= n) return 0;
    return npos;
  }

  /// Appends the span [off, off + n) (off from find(n)) and returns it.
  Slot& push(size_t off, size_t n, T data) {
    slots_.push_back(Slot{off, n, next_seq_++, std::move(data)});
    return slots_.back();
  }

  /// Removes the oldest span.
  void pop_front() { slots_.pop_front(); }

  /// The span with sequence number `seq`, or nullptr when it is gone.
  Slot* at(uint64_t seq) {
    if (slots_.empty()) return nullptr;
    const uint64_t first = slots_.front().seq;
    if (seq < first || seq - first >= slots_.size()) return nullptr;
    return &slots_[seq - first];
  }

 private:
  size_t capacity_;
  std::deque<Slot> slots_;
  uint64_t next_seq_{0};
};

}  // namespace tandem::cuda
