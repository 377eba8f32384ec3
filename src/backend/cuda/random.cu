// Copyright © 2026 Tandem authors.
// RandomBits on the GPU: the same Threefry-2x32 function as the CPU (backend/common/threefry.h),
// so the bits are identical on every device for the same key.
#include "backend/common/threefry.h"
#include "backend/cuda/kernels.cuh"
#include "primitives/random.h"

namespace tandem {

namespace {

// Element i takes byte lane (i % per) of 32-bit word i / per, as on the CPU.
template <typename T>
__global__ void random_bits_kernel(const uint32_t* key, int64_t key_stride, T* out, int64_t n) {
  constexpr int per = 4 / sizeof(T);
  const uint32_t k0 = key[0], k1 = key[key_stride];
  for (int64_t i = cuda::global_thread(); i < n; i += cuda::grid_threads()) {
    uint32_t w = random_detail::word(k0, k1, static_cast<uint64_t>(i / per));
    out[i] = static_cast<T>(w >> (8 * sizeof(T) * (i % per)));
  }
}

}  // namespace

void RandomBits::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  const array& key = inputs[0];
  array& out = outputs[0];
  const uint32_t* kp = static_cast<const uint32_t*>(enc.input(key));
  void* dst = enc.output(out);
  const int64_t n = static_cast<int64_t>(out.size());
  if (n > 0) {
    const int64_t ks = key.strides()[0];
    auto run = [&]<typename T>() {
      cuda::launch(enc, "random_bits", random_bits_kernel<T>, cuda::blocks_for(n), cuda::kThreads,
                   0, kp, ks, static_cast<T*>(dst), n);
    };
    if (width_ == 4) {
      run.template operator()<uint32_t>();
    } else if (width_ == 2) {
      run.template operator()<uint16_t>();
    } else {
      run.template operator()<uint8_t>();
    }
  }
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
