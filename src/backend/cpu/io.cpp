// Copyright © 2026 Tandem authors.
// The Load kernel: reads the output's byte range from its reader (pread for files; decompression
// for deflated ZIP members) straight into the output buffer, then fixes the byte order.
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

void Load::eval_cpu(const std::vector<array>&, std::vector<array>& outputs) {
  array& out = outputs[0];
  size_t nbytes = out.nbytes();
  out.set_data(allocator::malloc(nbytes));
  if (nbytes == 0) return;
  char* p = out.unsafe_data<char>();
  reader_->read(p, nbytes, offset_);
  if (!swap_) return;
  // complex64 is two float32 values: swap each 4-byte half.
  int width = out.dtype() == complex64 ? 4 : static_cast<int>(out.itemsize());
  size_t n = nbytes / width;
  switch (width) {
    case 2:
      swap_bytes<2>(p, n);
      break;
    case 4:
      swap_bytes<4>(p, n);
      break;
    case 8:
      swap_bytes<8>(p, n);
      break;
    default:
      break;
  }
}

}  // namespace tandem
