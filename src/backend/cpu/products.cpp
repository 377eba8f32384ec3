// Copyright © 2026 Tandem authors.
// CPU kernels of GatherMM and BlockMaskedMM (primitives/products.h): BLAS GEMMs on the gathered
// matrices / on the blocks, read in place when each matrix has a BLAS layout.
//
// Parallelism: OpenBLAS runs a GEMM with M*N*K <= 64^3 on the calling thread (cpu::kSmallGemm),
// so many such products are spread over Tandem's pool, one product per task; larger ones run one
// after another and OpenBLAS threads each. BlockMaskedMM cuts its inner dimension into pieces
// that keep every call small, so its block rows always run in parallel.
// float16/bfloat16 compute in float32 (operands converted once, keeping their layout).
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>

#include "backend/common/gather_index.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/gemm.h"
#include "backend/cpu/threading.h"
#include "primitives/products.h"
#include "tandem/utils.h"

namespace tandem {

namespace {

// Row-contiguous values of `x` converted to `dtype` (index arrays and masks are small).
array contiguous_as(const array& x, Dtype dtype) {
  if (x.dtype() == dtype && x.flags().row_contiguous) return x;
  array y(x.shape(), dtype, nullptr, {});
  y.detach();
  cpu::copy_to_row_contiguous(x, y);
  return y;
}

// Pointer to element (r, c) of a matrix with layout l.
template <typename T>
const T* at(const T* base, const blas::MatLayout& l, int64_t r, int64_t c) {
  return l.trans ? base + c * l.ld + r : base + r * l.ld + c;
}

// Runs `n` tasks: over the pool when every task is a small GEMM, else one after another.
template <typename F>
void run_tasks(int64_t n, bool small, double work_per_task, const F& task) {
  if (n > 1 && small) {
    const size_t grain = std::max<size_t>(1, static_cast<size_t>(cpu::kSmallGemm / work_per_task));
    cpu::parallel_for(static_cast<size_t>(n), grain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i)
        task(static_cast<int64_t>(i));
    });
  } else {
    for (int64_t i = 0; i < n; ++i)
      task(i);
  }
}

// ---------------- GatherMM ----------------

template <typename T>
void gather_mm_typed(array a, array b, const array& lhs, const array& rhs, array& out) {
  const int nd = out.ndim();
  const int64_t M = out.shape()[nd - 2], N = out.shape()[nd - 1], K = a.shape(-1);
  const int64_t pairs = static_cast<int64_t>(out.size()) / (M * N);
  T* C = out.unsafe_data<T>();
  if (K == 0) {
    std::fill(C, C + out.size(), T(0));
    return;
  }
  blas::require_gather_operands(a, b);
  const int64_t na = blas::batch_count(a), nb = blas::batch_count(b);
  blas::MatLayout la, lb;
  a = cpu::blas_ready(a, la);
  b = cpu::blas_ready(b, lb);
  array li = contiguous_as(lhs, int32), ri = contiguous_as(rhs, int32);
  const int32_t* L = li.unsafe_data<int32_t>();
  const int32_t* R = ri.unsafe_data<int32_t>();
  auto index = [](int64_t v, int64_t n) { return gather_index(v, n, n - 1); };  // as Gather
  const T* A = a.unsafe_data<T>();
  const T* B = b.unsafe_data<T>();
  // Runs of consecutive pairs that share B and whose A matrices follow each other row by row
  // (typical of tokens sorted by expert): one GEMM with more rows per run.
  struct Run {
    int64_t first, count, a_off, b_off;
  };
  std::vector<Run> runs;
  for (int64_t p = 0; p < pairs; ++p) {
    const int64_t ao = blas::batch_offset(a, index(L[p], na));
    const int64_t bo = blas::batch_offset(b, index(R[p], nb));
    if (!runs.empty()) {
      Run& r = runs.back();
      if (!la.trans && r.b_off == bo && ao == r.a_off + r.count * M * la.ld) {
        ++r.count;
        continue;
      }
    }
    runs.push_back({p, 1, ao, bo});
  }
  double largest = 0;
  for (auto& r : runs)
    largest = std::max(largest, static_cast<double>(r.count * M) * N * K);
  const bool small = largest <= cpu::kSmallGemm;
  run_tasks(static_cast<int64_t>(runs.size()), small, std::max(largest, 1.0), [&](int64_t i) {
    const Run& r = runs[i];
    T* c = C + r.first * M * N;
    if (small) {
      cpu::gemm<T>(la.trans, lb.trans, r.count * M, N, K, T(1), A + r.a_off, la.ld, B + r.b_off,
                   lb.ld, T(0), c, N);
    } else {
      cpu::matmul_one<T>(r.count * M, N, K, A + r.a_off, la, B + r.b_off, lb, c, N);
    }
  });
}

// ---------------- BlockMaskedMM ----------------

template <typename T>
void block_masked_typed(const BlockMaskedMM& p, const std::vector<array>& inputs, array& out) {
  const int nd = out.ndim();
  const int64_t M = out.shape()[nd - 2], N = out.shape()[nd - 1];
  const int64_t K = inputs[0].shape(-1);
  const int64_t bs = p.block_size();
  const int64_t tm = (M + bs - 1) / bs, tn = (N + bs - 1) / bs, tk = (K + bs - 1) / bs;
  const int64_t batches = static_cast<int64_t>(out.size()) / std::max<int64_t>(M * N, 1);
  T* C = out.unsafe_data<T>();
  blas::MatLayout la, lb;
  array a = cpu::blas_ready(inputs[0], la), b = cpu::blas_ready(inputs[1], lb);
  const Dtype t = out.dtype();
  // Masks as row-contiguous values of T (bool -> 0/1).
  size_t next = 2;
  std::optional<array> mo, ml, mr;
  if (p.has_out_mask()) mo = contiguous_as(inputs[next++], t);
  if (p.has_operand_mask()) {
    ml = contiguous_as(inputs[next++], t);
    mr = contiguous_as(inputs[next++], t);
  }
  const T* MO = mo ? mo->unsafe_data<T>() : nullptr;
  const T* ML = ml ? ml->unsafe_data<T>() : nullptr;
  const T* MR = mr ? mr->unsafe_data<T>() : nullptr;
  const T* A = a.unsafe_data<T>();
  const T* B = b.unsafe_data<T>();
  // Pieces of the inner dimension small enough for OpenBLAS to run on the calling thread.
  const int64_t kpiece =
      std::max<int64_t>(1, static_cast<int64_t>(cpu::kSmallGemm / static_cast<double>(bs * bs)));
  cpu::parallel_for(static_cast<size_t>(batches * tm), 1, [&](size_t t0, size_t t1) {
    for (size_t task = t0; task < t1; ++task) {
      const int64_t bi = static_cast<int64_t>(task) / tm, i = static_cast<int64_t>(task) % tm;
      const int64_t r0 = i * bs, rows = std::min(bs, M - r0);
      const T* Ab = A + blas::batch_offset(a, bi);
      const T* Bb = B + blas::batch_offset(b, bi);
      for (int64_t j = 0; j < tn; ++j) {
        const int64_t c0 = j * bs, cols = std::min(bs, N - c0);
        T* Cb = C + bi * M * N + r0 * N + c0;
        const T out_scale = MO ? MO[(bi * tm + i) * tn + j] : T(1);
        bool written = false;
        if (out_scale != T(0)) {
          // Consecutive inner blocks with the same (non-zero) scale form one run.
          int64_t k = 0;
          while (k < tk) {
            auto scale = [&](int64_t kk) {
              return ML ? ML[(bi * tm + i) * tk + kk] * MR[(bi * tk + kk) * tn + j] : T(1);
            };
            const T s = scale(k);
            int64_t k1 = k + 1;
            while (k1 < tk && scale(k1) == s)
              ++k1;
            if (s != T(0)) {
              const int64_t kb = k * bs, ke = std::min(k1 * bs, K);
              for (int64_t k0 = kb; k0 < ke; k0 += kpiece) {
                const int64_t len = std::min(kpiece, ke - k0);
                cpu::gemm<T>(la.trans, lb.trans, rows, cols, len, out_scale * s, at(Ab, la, r0, k0),
                             la.ld, at(Bb, lb, k0, c0), lb.ld, written ? T(1) : T(0), Cb, N);
                written = true;
              }
            }
            k = k1;
          }
        }
        if (!written) {
          for (int64_t r = 0; r < rows; ++r)
            std::fill(Cb + r * N, Cb + r * N + cols, T(0));
        }
      }
    }
  });
}

// Runs `f` in float32 for 16-bit floats: operands converted once (layout kept), the float32
// result rounded into `out`.
template <typename F>
void in_float32(const std::vector<array>& inputs, size_t n_float_inputs, array& out, const F& f) {
  std::vector<array> in = inputs;
  for (size_t i = 0; i < n_float_inputs; ++i) {
    if (is_floating_point(in[i].dtype())) in[i] = cpu::convert_keep_layout(in[i], float32);
  }
  array o(out.shape(), float32, nullptr, {});
  o.detach();
  o.set_data(allocator::malloc(o.nbytes()));
  f(in, o);
  cpu::copy_to_row_contiguous(o, out);
}

}  // namespace

void GatherMM::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  const Dtype t = out.dtype();
  auto run = [&](const std::vector<array>& in, array& o) {
    if (o.dtype() == float64) {
      gather_mm_typed<double>(in[0], in[1], in[2], in[3], o);
    } else {
      gather_mm_typed<float>(in[0], in[1], in[2], in[3], o);
    }
  };
  if (t == float32 || t == float64) return run(inputs, out);
  if (t == float16 || t == bfloat16) return in_float32(inputs, 2, out, run);
  throw std::invalid_argument("[gather_mm] Unsupported dtype " + dtype_name(t) + ".");
}

void BlockMaskedMM::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  const Dtype t = out.dtype();
  auto run = [&](const std::vector<array>& in, array& o) {
    if (o.dtype() == float64) {
      block_masked_typed<double>(*this, in, o);
    } else {
      block_masked_typed<float>(*this, in, o);
    }
  };
  if (t == float32 || t == float64) return run(inputs, out);
  if (t == float16 || t == bfloat16) return in_float32(inputs, 2, out, run);
  throw std::invalid_argument("[block_masked_mm] Unsupported dtype " + dtype_name(t) + ".");
}

}  // namespace tandem
