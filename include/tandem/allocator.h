// Copyright © 2026 Tandem authors.
// The allocator interface buffers are made through (DESIGN §4). Backends provide the allocators.
#pragma once

#include <cstddef>

namespace tandem::allocator {

/// An opaque handle to a block of memory owned by an allocator.
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(void* ptr) : ptr_(ptr) {}
  /// The allocator's record for this buffer (backend specific).
  void* ptr() const { return ptr_; }
  /// A pointer the host can read and write.
  void* raw_ptr() const;

 private:
  void* ptr_{nullptr};
};

class Allocator {
 public:
  virtual Buffer malloc(size_t size) = 0;
  virtual void free(Buffer buffer) = 0;
  virtual size_t size(Buffer buffer) const = 0;
  virtual ~Allocator() = default;
};

/// The allocator that backs arrays in this build.
Allocator& allocator();
Buffer malloc(size_t size);
void free(Buffer buffer);

}  // namespace tandem::allocator
