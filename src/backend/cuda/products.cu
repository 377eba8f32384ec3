// Copyright © 2026 Tandem authors.
// CUDA kernels of GatherMM and BlockMaskedMM (primitives/products.h); the CPU kernels are in
// backend/cpu/products.cpp.
//
// GatherMM: a small kernel turns the index pairs into three device arrays of matrix addresses
// (A[lhs[p]], B[rhs[p]], C[p]; negative indices wrap once, the rest clamp, as on the CPU), then
// cublasGemmBatchedEx runs every product in one call. Operands keep their layout when each matrix
// is row- or column-major (transposed views need no copy).
//
// BlockMaskedMM: without operand masks the product is Matmul's cuBLAS path, followed by a kernel
// that applies the output mask in place (a zero mask writes exact zeros, so NaN in the product
// does not leak). With operand masks a tiled kernel computes each block x block output tile
// itself, skipping the inner blocks whose combined scale mask_lhs[i,k] * mask_rhs[k,j] is zero:
// a skipped block contributes exactly nothing (NaN/inf inside it does not propagate), which
// masking the operands before a GEMM could not guarantee when only the other side's mask is
// zero. float16/bfloat16 accumulate in float32, float64 in float64.
#include <cublas_v2.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <stdexcept>
#include <string>

#include "backend/common/blas_layout.h"
#include "backend/common/gather_index.h"
#include "backend/cuda/blas.h"
#include "backend/cuda/indexing.cuh"
#include "primitives/products.h"
#include "tandem/utils.h"

namespace tandem {

namespace {

int to_int(int64_t v, const char* op, const char* what) {
  if (v < 0 || v > INT_MAX) {
    throw std::invalid_argument(std::string("[") + op + "] " + what + " " + std::to_string(v) +
                                " exceeds the range of cuBLAS's int arguments.");
  }
  return static_cast<int>(v);
}

// `x` in a BLAS layout (a row-major copy when it has none).
array blas_ready(cuda::Encoder& enc, const array& x, blas::MatLayout& l) {
  if (blas::matrix_layout(x, l)) return x;
  array c = cuda::contiguous_copy(enc, x);
  blas::matrix_layout(c, l);
  return c;
}

// The batch dims of `x` (all but the last two) collapsed for locate(): the element offset of
// matrix i is then locate(i). False when too many dims remain.
template <int N>
bool batch_args(const std::vector<const array*>& xs, cuda::StridedArgs<N>& args) {
  const array& x0 = *xs[0];
  Shape batch(x0.shape().begin(), x0.shape().end() - 2);
  std::vector<Strides> st;
  for (auto* x : xs)
    st.emplace_back(x->strides().begin(), x->strides().end() - 2);
  return cuda::collapsed_args<N>(batch, st, args);
}

// ---------------- GatherMM ----------------

__global__ void gather_mm_pointers(const int32_t* L, const int32_t* R, int64_t pairs, const char* A,
                                   const char* B, char* C, cuda::StridedArgs<1> ab,
                                   cuda::StridedArgs<1> bb, int64_t na, int64_t nb, int64_t isz,
                                   int64_t c_step, const void** pa, const void** pb, void** pc) {
  for (int64_t p = cuda::global_thread(); p < pairs; p += cuda::grid_threads()) {
    const int64_t ia = gather_index(L[p], na, na - 1), ib = gather_index(R[p], nb, nb - 1);
    int64_t oa[1], ob[1];
    cuda::locate(static_cast<uint64_t>(ia), ab, oa);
    cuda::locate(static_cast<uint64_t>(ib), bb, ob);
    pa[p] = A + oa[0] * isz;
    pb[p] = B + ob[0] * isz;
    pc[p] = C + p * c_step;
  }
}

// ---------------- BlockMaskedMM ----------------

// out[e] = mask == 0 ? 0 : mask * out[e] for the output block of element e (in place).
template <typename T, typename C>
__global__ void apply_out_mask(T* out, const C* mask, int64_t total, int64_t M, int64_t N,
                               int64_t tm, int64_t tn, int bs) {
  for (int64_t e = cuda::global_thread(); e < total; e += cuda::grid_threads()) {
    const int64_t c = e % N;
    const int64_t rest = e / N;
    const int64_t r = rest % M, bi = rest / M;
    const C s = mask[(bi * tm + r / bs) * tn + c / bs];
    out[e] = s == C(0) ? cuda::to_storage<T>(C(0))
                       : cuda::to_storage<T>(s * static_cast<C>(cuda::to_compute(out[e])));
  }
}

constexpr int kMaskThreads = 256;  // 16 x 16
constexpr int kMaskKc = 16;        // inner slice staged in shared memory

struct MaskedGeom {
  int64_t M, N, K, tm, tn, tk, batches;
  int64_t a_rs, a_cs, b_rs, b_cs;  // matrix strides of a and b (elements)
};

// One TILE x TILE output tile per loop step (TILE = block size); each thread owns R x R
// elements (rows ty + 16 i, columns tx + 16 j). Per inner block k with combined scale
// s = ml[i,k] * mr[k,j] != 0: part = A_ik @ B_kj (staged kMaskKc columns of A / rows of B at a
// time), total += s * part. The tile is mask_out * total, or zeros when nothing was added.
template <typename T, typename C, int TILE>
__global__ void __launch_bounds__(kMaskThreads)
    block_masked_kernel(const T* A, const T* B, T* out, const C* mo, const C* ml, const C* mr,
                        MaskedGeom g, cuda::StridedArgs<2> batch) {
  constexpr int R = TILE / 16;
  __shared__ C As[kMaskKc][TILE + 1];
  __shared__ C Bs[kMaskKc][TILE + 1];
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int64_t tiles = g.batches * g.tm * g.tn;
  for (int64_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
    const int64_t j = tile % g.tn;
    const int64_t i = (tile / g.tn) % g.tm;
    const int64_t bi = tile / (g.tn * g.tm);
    int64_t off[2];
    cuda::locate(static_cast<uint64_t>(bi), batch, off);
    const T* Ab = A + off[0];
    const T* Bb = B + off[1];
    const int64_t r0 = i * TILE, c0 = j * TILE;
    const C out_scale = mo ? mo[(bi * g.tm + i) * g.tn + j] : C(1);
    C total[R][R];
#pragma unroll
    for (int a = 0; a < R; ++a)
#pragma unroll
      for (int b = 0; b < R; ++b)
        total[a][b] = C(0);
    bool written = false;
    if (out_scale != C(0)) {
      for (int64_t kb = 0; kb < g.tk; ++kb) {
        const C s = ml[(bi * g.tm + i) * g.tk + kb] * mr[(bi * g.tk + kb) * g.tn + j];
        if (s == C(0)) continue;  // the same for the whole block
        written = true;
        C part[R][R];
#pragma unroll
        for (int a = 0; a < R; ++a)
#pragma unroll
          for (int b = 0; b < R; ++b)
            part[a][b] = C(0);
        const int64_t kend = (kb + 1) * TILE < g.K ? (kb + 1) * TILE : g.K;
        for (int64_t k0 = kb * TILE; k0 < kend; k0 += kMaskKc) {
          // A: TILE rows x kMaskKc columns; B: kMaskKc rows x TILE columns (zero outside).
          for (int e = threadIdx.x; e < TILE * kMaskKc; e += kMaskThreads) {
            const int kk = e % kMaskKc, rr = e / kMaskKc;
            const int64_t r = r0 + rr, k = k0 + kk;
            As[kk][rr] = (r < g.M && k < kend)
                             ? static_cast<C>(cuda::to_compute(Ab[r * g.a_rs + k * g.a_cs]))
                             : C(0);
            const int cc = e % TILE, kb2 = e / TILE;
            const int64_t c = c0 + cc, k2 = k0 + kb2;
            Bs[kb2][cc] = (c < g.N && k2 < kend)
                              ? static_cast<C>(cuda::to_compute(Bb[k2 * g.b_rs + c * g.b_cs]))
                              : C(0);
          }
          __syncthreads();
#pragma unroll
          for (int kk = 0; kk < kMaskKc; ++kk) {
            C av[R], bv[R];
#pragma unroll
            for (int a = 0; a < R; ++a)
              av[a] = As[kk][ty + 16 * a];
#pragma unroll
            for (int b = 0; b < R; ++b)
              bv[b] = Bs[kk][tx + 16 * b];
#pragma unroll
            for (int a = 0; a < R; ++a)
#pragma unroll
              for (int b = 0; b < R; ++b)
                part[a][b] += av[a] * bv[b];
          }
          __syncthreads();
        }
#pragma unroll
        for (int a = 0; a < R; ++a)
#pragma unroll
          for (int b = 0; b < R; ++b)
            total[a][b] += s * part[a][b];
      }
    }
    T* Ob = out + bi * g.M * g.N;
#pragma unroll
    for (int a = 0; a < R; ++a) {
      const int64_t r = r0 + ty + 16 * a;
      if (r >= g.M) continue;
#pragma unroll
      for (int b = 0; b < R; ++b) {
        const int64_t c = c0 + tx + 16 * b;
        if (c >= g.N) continue;
        Ob[r * g.N + c] = cuda::to_storage<T>(written ? out_scale * total[a][b] : C(0));
      }
    }
  }
}

}  // namespace

void GatherMM::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  const Dtype t = out.dtype();
  const cuda::GemmTypes gt = cuda::gemm_types(t, "gather_mm");
  char* C = static_cast<char*>(enc.output(out));
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  const int nd = out.ndim();
  const int64_t M = out.shape()[nd - 2], N = out.shape()[nd - 1];
  array a = inputs[0], b = inputs[1];
  const int64_t K = a.shape(-1);
  if (K == 0) {
    TANDEM_CUDA_CHECK(cudaMemsetAsync(C, 0, out.nbytes(), enc.stream()));
    enc.count_op();
    cuda::set_evaluated(outputs);
    return;
  }
  blas::require_gather_operands(a, b);
  const int64_t na = blas::batch_count(a), nb = blas::batch_count(b);
  if (a.dtype() != t) a = cuda::contiguous_copy(enc, a, a.shape(), t);
  if (b.dtype() != t) b = cuda::contiguous_copy(enc, b, b.shape(), t);
  blas::MatLayout la, lb;
  a = blas_ready(enc, a, la);
  b = blas_ready(enc, b, lb);
  cuda::StridedArgs<1> ab, bb;
  if (!batch_args<1>({&a}, ab)) {
    a = cuda::contiguous_copy(enc, a);
    blas::matrix_layout(a, la);
    batch_args<1>({&a}, ab);
  }
  if (!batch_args<1>({&b}, bb)) {
    b = cuda::contiguous_copy(enc, b);
    blas::matrix_layout(b, lb);
    batch_args<1>({&b}, bb);
  }
  // The index arrays as row-contiguous int32 (broadcast ones are materialised).
  auto as_int32 = [&](const array& x) {
    if (x.dtype() == int32 && x.flags().row_contiguous) return x;
    return cuda::contiguous_copy(enc, x, x.shape(), int32);
  };
  array li = as_int32(inputs[2]), ri = as_int32(inputs[3]);
  const int64_t pairs = static_cast<int64_t>(out.size()) / (M * N);
  const int m = to_int(N, "gather_mm", "N"), n = to_int(M, "gather_mm", "M"),
            k = to_int(K, "gather_mm", "K");
  const int lda = to_int(lb.ld, "gather_mm", "leading dimension");
  const int ldb = to_int(la.ld, "gather_mm", "leading dimension");
  const int64_t isz = static_cast<int64_t>(out.itemsize());

  array ptrs = cuda::scratch(enc, static_cast<size_t>(3 * pairs), uint64);
  void** P = static_cast<void**>(enc.input(ptrs));
  const void** pa = const_cast<const void**>(P);
  const void** pb = const_cast<const void**>(P + pairs);
  void** pc = P + 2 * pairs;
  cuda::launch(enc, "gather_mm_pointers", gather_mm_pointers, cuda::blocks_for(pairs),
               cuda::kThreads, 0, static_cast<const int32_t*>(enc.input(li)),
               static_cast<const int32_t*>(enc.input(ri)), pairs,
               static_cast<const char*>(enc.input(a)), static_cast<const char*>(enc.input(b)), C,
               ab, bb, na, nb, isz, M * N * isz, pa, pb, pc);

  const float one_f = 1.0f, zero_f = 0.0f;
  const double one_d = 1.0, zero_d = 0.0;
  const void* alpha = t == float64 ? static_cast<const void*>(&one_d) : &one_f;
  const void* beta = t == float64 ? static_cast<const void*>(&zero_d) : &zero_f;
  cublasHandle_t h = cuda::blas_handle(enc);
  // Row-major C = A B is the column-major C^T = B^T A^T (operands swapped, m = N, n = M).
  const cublasOperation_t op_b = lb.trans ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_a = la.trans ? CUBLAS_OP_T : CUBLAS_OP_N;
  // At most 65535 products per call, as Matmul's strided batches (matmul.cpp): batch counts
  // above a CUDA grid's y / z extent are not taken by every cuBLAS kernel.
  constexpr int64_t kMaxBatch = 65535;
  for (int64_t p0 = 0; p0 < pairs; p0 += kMaxBatch) {
    const int cnt = static_cast<int>(std::min(kMaxBatch, pairs - p0));
    TANDEM_CUBLAS_CHECK(cublasGemmBatchedEx(h, op_b, op_a, m, n, k, alpha, pb + p0, gt.dt, lda,
                                            pa + p0, gt.dt, ldb, beta, pc + p0, gt.dt, m, cnt,
                                            gt.compute, CUBLAS_GEMM_DEFAULT));
    enc.count_op();
  }
  cuda::set_evaluated(outputs);
}

void BlockMaskedMM::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  const Dtype t = out.dtype();
  cuda::gemm_types(t, "block_masked_mm");             // checks the dtype
  const Dtype ct = t == float64 ? float64 : float32;  // compute type, also of the masks
  const int nd = out.ndim();
  const int64_t M = out.shape()[nd - 2], N = out.shape()[nd - 1];
  const int64_t K = inputs[0].shape(-1);
  const int64_t bs = block_size_;
  const int64_t tm = (M + bs - 1) / bs, tn = (N + bs - 1) / bs, tk = (K + bs - 1) / bs;
  const int64_t batches = M * N == 0 ? 0 : static_cast<int64_t>(out.size()) / (M * N);
  // A mask as row-contiguous values of the compute type (bool -> 0 / 1).
  auto mask = [&](const array& m) { return cuda::contiguous_copy(enc, m, m.shape(), ct); };

  if (!has_operand_mask_) {
    // The plain product, then the output mask in place.
    Matmul(stream()).eval_gpu({inputs[0], inputs[1]}, outputs);
    if (has_out_mask_ && out.size() > 0 && K > 0) {  // K == 0: zeros whatever the mask
      array mo = mask(inputs[2]);
      const int64_t total = static_cast<int64_t>(out.size());
      cuda::dispatch(t, [&]<typename T>() {
        if constexpr (cuda::is_half_v<T> || std::is_same_v<T, float> || std::is_same_v<T, double>) {
          using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
          cuda::launch(enc, "apply_out_mask", apply_out_mask<T, C>, cuda::blocks_for(total),
                       cuda::kThreads, 0, static_cast<T*>(enc.input(out)),
                       static_cast<const C*>(enc.input(mo)), total, M, N, tm, tn,
                       static_cast<int>(bs));
        }
      });
    }
    cuda::set_evaluated(outputs);
    return;
  }

  void* po = enc.output(out);
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  array a = inputs[0], b = inputs[1];
  if (a.dtype() != t) a = cuda::contiguous_copy(enc, a, a.shape(), t);
  if (b.dtype() != t) b = cuda::contiguous_copy(enc, b, b.shape(), t);
  cuda::StridedArgs<2> batch;
  if (!batch_args<2>({&a, &b}, batch)) {
    a = cuda::contiguous_copy(enc, a);
    b = cuda::contiguous_copy(enc, b);
    batch_args<2>({&a, &b}, batch);
  }
  size_t next = 2;
  std::optional<array> mo;
  if (has_out_mask_) mo = mask(inputs[next++]);
  array ml = mask(inputs[next++]);
  array mr = mask(inputs[next++]);
  MaskedGeom g{M,
               N,
               K,
               tm,
               tn,
               tk,
               batches,
               a.strides()[a.ndim() - 2],
               a.strides()[a.ndim() - 1],
               b.strides()[b.ndim() - 2],
               b.strides()[b.ndim() - 1]};
  const int64_t tiles = batches * tm * tn;
  const unsigned grid = static_cast<unsigned>(std::min<int64_t>(tiles, cuda::kMaxBlocks));
  cuda::dispatch(t, [&]<typename T>() {
    if constexpr (cuda::is_half_v<T> || std::is_same_v<T, float> || std::is_same_v<T, double>) {
      using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
      const T* A = static_cast<const T*>(enc.input(a));
      const T* B = static_cast<const T*>(enc.input(b));
      const C* MO = mo ? static_cast<const C*>(enc.input(*mo)) : nullptr;
      const C* ML = static_cast<const C*>(enc.input(ml));
      const C* MR = static_cast<const C*>(enc.input(mr));
      if (bs == 64) {
        cuda::launch(enc, "block_masked_mm", block_masked_kernel<T, C, 64>, grid, kMaskThreads, 0,
                     A, B, static_cast<T*>(po), MO, ML, MR, g, batch);
      } else {
        cuda::launch(enc, "block_masked_mm", block_masked_kernel<T, C, 32>, grid, kMaskThreads, 0,
                     A, B, static_cast<T*>(po), MO, ML, MR, g, batch);
      }
    }
  });
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
