// Copyright © 2026 Tandem authors.
// Stands in for CUB's radix sort in an emulated build (tests/gpu_emulator): the part of
// cub::DeviceRadixSort and cub::DoubleBuffer the backend uses, with CUB's documented contract
// (a stable sort of unsigned keys on bits [begin_bit, end_bit); the results are in the
// buffers' Current() afterwards, which this version always flips to the other buffer).
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <type_traits>
#include <vector>

namespace cub {

template <typename T>
struct DoubleBuffer {
  T* d_buffers[2];
  int selector;
  DoubleBuffer() : d_buffers{nullptr, nullptr}, selector(0) {}
  DoubleBuffer(T* current, T* alternate) : d_buffers{current, alternate}, selector(0) {}
  T* Current() { return d_buffers[selector]; }
  T* Alternate() { return d_buffers[selector ^ 1]; }
};

struct DeviceRadixSort {
  template <typename K, typename V, typename N>
  static cudaError_t SortPairs(void* d_temp_storage, size_t& temp_storage_bytes,
                               DoubleBuffer<K>& keys, DoubleBuffer<V>& values, N num_items,
                               int begin_bit = 0, int end_bit = sizeof(K) * 8,
                               cudaStream_t stream = 0) {
    static_assert(std::is_unsigned_v<K>, "the emulated radix sort takes unsigned keys");
    if (!d_temp_storage) {
      temp_storage_bytes = 64;
      return cudaSuccess;
    }
    if (begin_bit < 0 || end_bit > static_cast<int>(sizeof(K) * 8) || begin_bit > end_bit) {
      return cudaErrorInvalidValue;
    }
    const int width = end_bit - begin_bit;
    const K mask = width >= static_cast<int>(sizeof(K) * 8) ? ~K(0) : ((K(1) << width) - 1);
    const size_t n = static_cast<size_t>(num_items);
    const K* kin = keys.Current();
    const V* vin = values.Current();
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return ((kin[a] >> begin_bit) & mask) < ((kin[b] >> begin_bit) & mask);
    });
    K* kout = keys.Alternate();
    V* vout = values.Alternate();
    for (size_t i = 0; i < n; ++i) {
      kout[i] = kin[order[i]];
      vout[i] = vin[order[i]];
    }
    keys.selector ^= 1;
    values.selector ^= 1;
    return cudaSuccess;
  }
};

}  // namespace cub
