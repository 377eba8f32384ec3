// Copyright © 2026 Tandem authors.
// Convolution on the CPU. float32 (and 16-bit floats, computed in float32) runs the direct
// AVX-512 kernel of conv_direct.cpp when the CPU has AVX-512; otherwise, and for float64: im2col
// into a bounded scratch buffer (chunks of output rows), then one BLAS GEMM per chunk and group
// writing straight into the channels-last output.
#include <cstring>

#include "backend/cpu/conv_direct.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/gemm.h"
#include "backend/cpu/threading.h"
#include "primitives/conv.h"

namespace tandem {

namespace {

template <typename T>
void gemm_nt(int M, int N, int K, const T* A, int lda, const T* B, int ldb, T* C, int ldc) {
  cpu::gemm<T>(false, true, M, N, K, T(1), A, lda, B, ldb, T(0), C, ldc);
}

array as_contiguous(const array& x, Dtype t) {
  if (x.dtype() == t && x.flags().row_contiguous) return x;
  array y(x.shape(), t, nullptr, {});
  y.detach();
  cpu::copy_to_row_contiguous(x, y);
  return y;
}

template <typename T>
void conv_typed(const Convolution& p, const array& in, const array& w, array& out) {
  const int sp = in.ndim() - 2;
  const int N = in.shape()[0];
  const int cin = in.shape()[sp + 1];
  const int cout = w.shape()[0];
  const int G = p.groups_;
  const int cgi = cin / G, cgo = cout / G;
  std::vector<int> ishape(sp), kshape(sp), oshape(sp);
  int64_t kprod = 1, oprod = 1;
  for (int i = 0; i < sp; ++i) {
    ishape[i] = in.shape()[1 + i];
    kshape[i] = w.shape()[1 + i];
    oshape[i] = out.shape()[1 + i];
    kprod *= kshape[i];
    oprod *= oshape[i];
  }
  const int64_t cols = kprod * cgi;
  const int64_t rows = static_cast<int64_t>(N) * oprod;
  const T* X = in.unsafe_data<T>();
  const T* W = w.unsafe_data<T>();
  T* O = out.unsafe_data<T>();
  // Input strides (channels last, row-contiguous).
  std::vector<int64_t> istr(sp + 2);
  istr[sp + 1] = 1;
  for (int i = sp; i >= 0; --i)
    istr[i] = istr[i + 1] * in.shape()[i + 1];
  if (cols == 0) {
    std::fill(O, O + out.size(), T(0));
    return;
  }
  // Per spatial axis, the input position each (output position, kernel tap) reads, or -1 when
  // it falls in the padding or between dilated input elements. Computed once, so the im2col
  // loop below does no division per tap.
  std::vector<std::vector<int32_t>> src(sp);
  for (int i = 0; i < sp; ++i) {
    src[i].resize(static_cast<size_t>(oshape[i]) * kshape[i]);
    for (int o = 0; o < oshape[i]; ++o) {
      for (int k = 0; k < kshape[i]; ++k) {
        int kidx = p.flip_ ? kshape[i] - 1 - k : k;
        int64_t pos = static_cast<int64_t>(o) * p.stride_[i] +
                      static_cast<int64_t>(kidx) * p.kernel_dilation_[i] - p.padding_lo_[i];
        int32_t v = -1;
        if (pos >= 0 && pos % p.input_dilation_[i] == 0 && pos / p.input_dilation_[i] < ishape[i]) {
          v = static_cast<int32_t>(pos / p.input_dilation_[i]);
        }
        src[i][static_cast<size_t>(o) * kshape[i] + k] = v;
      }
    }
  }
  // About 1M values (4 MiB of float32) of im2col rows per chunk: the GEMM then reads its rows
  // while they are still in cache (8M-value chunks were ~30% slower on a 56x56x64 3x3 layer).
  const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(rows, (int64_t(1) << 20) / cols));
  // Scratch from Tandem's allocator: its cache hands back the same (already mapped) block on
  // the next call, where a fresh std::vector would zero and fault in tens of MB every time.
  array scratch({static_cast<int32_t>(chunk * cols)}, out.dtype(), nullptr, {});
  scratch.detach();
  scratch.set_data(allocator::malloc(static_cast<size_t>(chunk * cols) * sizeof(T)));
  T* A = scratch.unsafe_data<T>();
  for (int g = 0; g < G; ++g) {
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
      int64_t nr = std::min(chunk, rows - r0);
      cpu::parallel_for(nr, 64, [&](size_t b, size_t e) {
        std::vector<int> o(sp), k(sp);
        for (size_t rr = b; rr < e; ++rr) {
          int64_t r = r0 + rr;
          int64_t n = r / oprod, rem = r % oprod;
          for (int i = sp - 1; i >= 0; --i) {
            o[i] = rem % oshape[i];
            rem /= oshape[i];
          }
          const T* xn = X + n * istr[0] + g * cgi;
          T* d = A + rr * cols;
          std::fill(k.begin(), k.end(), 0);
          for (int64_t kk = 0; kk < kprod; ++kk, d += cgi) {
            int64_t off = 0;
            bool inside = true;
            for (int i = 0; i < sp; ++i) {
              int32_t v = src[i][static_cast<size_t>(o[i]) * kshape[i] + k[i]];
              inside &= v >= 0;
              off += static_cast<int64_t>(v) * istr[1 + i];
            }
            if (inside) {
              std::memcpy(d, xn + off, sizeof(T) * cgi);
            } else {
              std::fill(d, d + cgi, T(0));
            }
            for (int i = sp - 1; i >= 0 && ++k[i] == kshape[i]; --i)  // next tap (odometer)
              k[i] = 0;
          }
        }
      });
      gemm_nt<T>(static_cast<int>(nr), cgo, static_cast<int>(cols), A, static_cast<int>(cols),
                 W + static_cast<int64_t>(g) * cgo * cols, static_cast<int>(cols),
                 O + r0 * cout + g * cgo, cout);
    }
  }
}

// The direct kernels (conv_direct.h): float32 operands are read in any layout (a weight
// gradient's transposed operands need no copy), 16-bit ones are converted once; bfloat16 operands
// with a bfloat16 result use AVX-512 BF16 dot products on the 16-bit data where the CPU has them
// (float32 sums, rounded once at the end). False when the kernels decline (scratch far larger
// than the operands): nothing was written, the caller takes the im2col path.
bool conv_direct_eval(const Convolution& p, const std::vector<array>& inputs, array& out) {
  const Dtype t = out.dtype();
  const bool bf16 = t == bfloat16 && inputs[0].dtype() == bfloat16 &&
                    inputs[1].dtype() == bfloat16 && cpu::conv_direct_bf16_available();
  auto f32 = [](const array& a) { return a.dtype() == float32 ? a : as_contiguous(a, float32); };
  array in = bf16 ? inputs[0] : f32(inputs[0]), w = bf16 ? inputs[1] : f32(inputs[1]);
  const int sp = in.ndim() - 2;
  cpu::ConvShape s;
  s.N = in.shape()[0];
  s.Cin = in.shape()[sp + 1];
  s.O = w.shape()[0];
  s.G = p.groups_;
  int64_t cols = w.shape()[sp + 1];  // taps x channels per group
  for (int i = 0; i < sp; ++i) {
    s.S.push_back(in.shape()[1 + i]);
    s.K.push_back(w.shape()[1 + i]);
    s.OS.push_back(out.shape()[1 + i]);
    cols *= w.shape()[1 + i];
  }
  s.stride = p.stride_;
  s.kdil = p.kernel_dilation_;
  s.idil = p.input_dilation_;
  s.pad_lo = p.padding_lo_;
  s.flip = p.flip_;
  auto strides = [&](const array& a) {
    return std::vector<int64_t>(a.strides().begin(), a.strides().end());
  };
  s.x_strides = strides(in);
  s.w_strides = strides(w);
  array o(out.shape(), float32, nullptr, {});  // float32 result (rounded to out's type after)
  o.detach();
  o.set_data(allocator::malloc(o.nbytes()));
  float* op = o.unsafe_data<float>();
  bool done = true;
  if (cols == 0) {
    std::fill(op, op + o.size(), 0.0f);
  } else if (bf16) {
    done =
        cpu::conv_direct_bf16(s, reinterpret_cast<const uint16_t*>(in.unsafe_data<bfloat16_t>()),
                              reinterpret_cast<const uint16_t*>(w.unsafe_data<bfloat16_t>()), op);
    if (!done) {  // the float32 kernel may still take it
      in = f32(in);
      w = f32(w);
      s.x_strides = strides(in);
      s.w_strides = strides(w);
    }
  }
  if (cols != 0 && (!bf16 || !done))
    done = cpu::conv_direct(s, in.unsafe_data<float>(), w.unsafe_data<float>(), op);
  if (!done) return false;
  if (t == float32) {
    out.copy_shared_buffer(o);
  } else {
    cpu::copy_to_row_contiguous(o, out);
  }
  return true;
}

}  // namespace

void Convolution::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  Dtype t = out.dtype();
  if (out.size() == 0) {
    out.set_data(allocator::malloc(0));
    return;
  }
  if (t == float64) {
    out.set_data(allocator::malloc(out.nbytes()));
    conv_typed<double>(*this, as_contiguous(inputs[0], float64), as_contiguous(inputs[1], float64),
                       out);
    return;
  }
  if (cpu::conv_direct_available() && conv_direct_eval(*this, inputs, out)) return;
  // float32, and 16-bit floats computed in float32.
  array in = as_contiguous(inputs[0], float32);
  array w = as_contiguous(inputs[1], float32);
  if (t == float32) {
    out.set_data(allocator::malloc(out.nbytes()));
    conv_typed<float>(*this, in, w, out);
    return;
  }
  array tmp(out.shape(), float32, nullptr, {});
  tmp.detach();
  tmp.set_data(allocator::malloc(tmp.nbytes()));
  conv_typed<float>(*this, in, w, tmp);
  cpu::copy_to_row_contiguous(tmp, out);
}

}  // namespace tandem
