// Copyright © 2026 Tandem authors.
// The Load kernel: reads the output's byte range from its reader (pread for files; decompression
// for deflated ZIP members) straight into the output buffer, then fixes the byte order.
// Load::read is shared with the GPU kernel (backend/cuda/io.cpp), which stages through pinned
// host memory.
#include <cstring>
#include <stdexcept>

#include "backend/cpu/threading.h"
#include "primitives/io.h"

namespace tandem {

namespace {

template <int W>
void swap_bytes(char* p, size_t n) {
  cpu::parallel_for(n, cpu::kElementwiseGrain, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      char* q = p + i * W;
      for (int k = 0; k < W / 2; ++k)
        std::swap(q[k], q[W - 1 - k]);
    }
  });
}

}  // namespace

void Load::read(char* dst, size_t begin, size_t n) const {
  if (n == 0) return;
  reader_->read(dst, n, offset_ + begin);
  if (!swap_) return;
  // complex64 is two float32 values: swap each 4-byte half.
  const int width = dtype_ == complex64 ? 4 : static_cast<int>(size_of(dtype_));
  const size_t count = n / width;
  switch (width) {
    case 2:
      swap_bytes<2>(dst, count);
      break;
    case 4:
      swap_bytes<4>(dst, count);
      break;
    case 8:
      swap_bytes<8>(dst, count);
      break;
    default:
      break;
  }
}

void Load::eval_cpu(const std::vector<array>&, std::vector<array>& outputs) {
  array& out = outputs[0];
  size_t nbytes = out.nbytes();
  out.set_data(allocator::malloc(nbytes));
  if (nbytes == 0) return;
  read(out.unsafe_data<char>(), 0, nbytes);
}

}  // namespace tandem
