// Copyright © 2026 Tandem authors.
// The GPU emulator's cuBLAS and cuBLASLt: the GEMM calls the backend makes (cublasGemmEx and its
// batched forms, the cuBLASLt matmul with its descriptors and heuristic), as reference loops over
// host memory that run when called. Column-major storage (cuBLASLt layouts may be row-major),
// op N / T / C, leading dimensions and batch strides as documented; products accumulate in double
// (complex in pairs of doubles) whatever the compute type, and D = alpha op(A) op(B) + beta C is
// rounded once to the output type. beta == 0 leaves C unread; alpha == 0 leaves A and B unread
// (netlib semantics). cuBLASLt's heuristic offers one algorithm (no split-K, no workspace) that
// records the preference's minimum alignments: cublasLtMatmul refuses pointers (and batch
// strides) less aligned than that (CUBLAS_STATUS_INVALID_VALUE), where a GPU could fault.
// TANDEM_EMU_CUBLASLT_HEURISTIC=none makes the heuristic find no algorithm (the backend's cuBLAS
// fallback runs); =unmasked finds none under a restricting reduction-scheme mask (the backend's
// second, unmasked query runs). Attributes, types and modes not implemented give
// CUBLAS_STATUS_NOT_SUPPORTED, silently.
// The linear-algebra routines (getrf, trsm, ...) are not here.
#include <cblas.h>
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <library_types.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

namespace tandem_emu {

namespace {

// ---------------- elements ----------------

struct Cx {
  double re, im;
};

bool is_zero(Cx v) {
  return v.re == 0.0 && v.im == 0.0;
}

bool supported_type(cudaDataType t) {
  switch (t) {
    case CUDA_R_16F:
    case CUDA_R_16BF:
    case CUDA_R_32F:
    case CUDA_R_64F:
    case CUDA_C_32F:
    case CUDA_C_64F:
      return true;
    default:
      return false;
  }
}

int64_t type_size(cudaDataType t) {
  switch (t) {
    case CUDA_R_16F:
    case CUDA_R_16BF:
      return 2;
    case CUDA_R_32F:
      return 4;
    case CUDA_R_64F:
    case CUDA_C_32F:
      return 8;
    case CUDA_C_64F:
      return 16;
    default:
      return 0;
  }
}

bool is_complex(cudaDataType t) {
  return t == CUDA_C_32F || t == CUDA_C_64F;
}

Cx load(cudaDataType t, const char* p) {
  switch (t) {
    case CUDA_R_16F: {
      __half_raw r;
      std::memcpy(&r.x, p, 2);
      return {__half2float(__half(r)), 0.0};
    }
    case CUDA_R_16BF: {
      __nv_bfloat16_raw r;
      std::memcpy(&r.x, p, 2);
      return {__bfloat162float(__nv_bfloat16(r)), 0.0};
    }
    case CUDA_R_32F: {
      float f;
      std::memcpy(&f, p, 4);
      return {f, 0.0};
    }
    case CUDA_R_64F: {
      double d;
      std::memcpy(&d, p, 8);
      return {d, 0.0};
    }
    case CUDA_C_32F: {
      float f[2];
      std::memcpy(f, p, 8);
      return {f[0], f[1]};
    }
    case CUDA_C_64F: {
      double d[2];
      std::memcpy(d, p, 16);
      return {d[0], d[1]};
    }
    default:
      return {0.0, 0.0};
  }
}

void store(cudaDataType t, char* p, Cx v) {
  switch (t) {
    case CUDA_R_16F: {
      const __half_raw r = __double2half(v.re);
      std::memcpy(p, &r.x, 2);
      break;
    }
    case CUDA_R_16BF: {
      const __nv_bfloat16_raw r = __double2bfloat16(v.re);
      std::memcpy(p, &r.x, 2);
      break;
    }
    case CUDA_R_32F: {
      const float f = static_cast<float>(v.re);
      std::memcpy(p, &f, 4);
      break;
    }
    case CUDA_R_64F:
      std::memcpy(p, &v.re, 8);
      break;
    case CUDA_C_32F: {
      const float f[2] = {static_cast<float>(v.re), static_cast<float>(v.im)};
      std::memcpy(p, f, 8);
      break;
    }
    case CUDA_C_64F: {
      const double d[2] = {v.re, v.im};
      std::memcpy(p, d, 16);
      break;
    }
    default:
      break;
  }
}

Cx mul(Cx a, Cx b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}

// ---------------- the reference product ----------------

/// A stored matrix: element (i, j) at base + (i * rs + j * cs) elements.
struct Mat {
  cudaDataType type;
  const char* base;
  int64_t rs, cs;
  const char* at(int64_t i, int64_t j) const { return base + (i * rs + j * cs) * type_size(type); }
};

/// D = act(alpha op(A) op(B) + beta C + bias) for one matrix of a batch. op(A) is m x k, op(B)
/// k x n, C and D m x n; c.base null: C is not read.
struct Product {
  int64_t m, n, k;
  cublasOperation_t ta, tb;
  Mat a, b, c, d;
  Cx alpha, beta;
  const char* bias;  // null: none; else m elements of bias_type
  cudaDataType bias_type;
  bool relu;
};

/// Element (i, l) of op(X) for the stored X.
Cx op_at(const Mat& x, cublasOperation_t op, int64_t i, int64_t l) {
  if (op == CUBLAS_OP_N) return load(x.type, x.at(i, l));
  Cx v = load(x.type, x.at(l, i));
  if (op == CUBLAS_OP_C) v.im = -v.im;
  return v;
}

template <bool kComplex>
void run_product(const Product& p) {
  using V = std::conditional_t<kComplex, Cx, double>;
  auto get = [](Cx v) {
    if constexpr (kComplex) {
      return v;
    } else {
      return v.re;
    }
  };
  const bool use_ab = p.k > 0 && !is_zero(p.alpha);
  std::vector<V> pa;  // op(A), row i contiguous
  std::vector<V> col;
  std::vector<double> sums;  // real products: op(A) op(B) by OpenBLAS's dgemm, row-major m x n
  if (use_ab) {
    pa.resize(static_cast<size_t>(p.m * p.k));
    col.resize(static_cast<size_t>(p.k));
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t l = 0; l < p.k; ++l)
        pa[i * p.k + l] = get(op_at(p.a, p.ta, i, l));
    }
    if constexpr (!kComplex) {
      // The same double-precision sums as the loop below, blocked (large products in the
      // tests would otherwise take minutes).
      std::vector<double> pb(static_cast<size_t>(p.k * p.n));
      for (int64_t l = 0; l < p.k; ++l) {
        for (int64_t j = 0; j < p.n; ++j)
          pb[l * p.n + j] = get(op_at(p.b, p.tb, l, j));
      }
      sums.resize(static_cast<size_t>(p.m * p.n));
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(p.m),
                  static_cast<int>(p.n), static_cast<int>(p.k), 1.0, pa.data(),
                  static_cast<int>(p.k), pb.data(), static_cast<int>(p.n), 0.0, sums.data(),
                  static_cast<int>(p.n));
    }
  }
  for (int64_t j = 0; j < p.n; ++j) {
    if (use_ab && kComplex) {
      for (int64_t l = 0; l < p.k; ++l)
        col[l] = get(op_at(p.b, p.tb, l, j));
    }
    for (int64_t i = 0; i < p.m; ++i) {
      Cx x{0.0, 0.0};
      if (use_ab) {
        const V* row = pa.data() + i * p.k;
        if constexpr (kComplex) {
          Cx acc{0.0, 0.0};
          for (int64_t l = 0; l < p.k; ++l) {
            const Cx t = mul(row[l], col[l]);
            acc.re += t.re;
            acc.im += t.im;
          }
          x = mul(p.alpha, acc);
        } else {
          (void)row;
          x.re = p.alpha.re * sums[i * p.n + j];
        }
      }
      if (p.c.base) {
        const Cx t = mul(p.beta, load(p.c.type, p.c.at(i, j)));
        x.re += t.re;
        x.im += t.im;
      }
      if (p.bias) x.re += load(p.bias_type, p.bias + i * type_size(p.bias_type)).re;
      if (p.relu) x.re = std::fmax(x.re, 0.0);
      store(p.d.type, const_cast<char*>(p.d.at(i, j)), x);
    }
  }
}

void run_product(const Product& p) {
  if (p.m <= 0 || p.n <= 0) return;
  if (is_complex(p.d.type) || is_complex(p.a.type)) {
    run_product<true>(p);
  } else {
    run_product<false>(p);
  }
}

/// The scale type (of alpha and beta) of a product with A and B of type `ab` and C / D of type
/// `cd` in `compute`, as cuBLAS's table of supported combinations has it; false when the
/// combination is not one of those.
bool scale_type(cublasComputeType_t compute, cudaDataType ab, cudaDataType cd,
                cudaDataType* scale) {
  switch (compute) {
    case CUBLAS_COMPUTE_16F:
    case CUBLAS_COMPUTE_16F_PEDANTIC:
      if (ab == CUDA_R_16F && cd == CUDA_R_16F) {
        *scale = CUDA_R_16F;
        return true;
      }
      return false;
    case CUBLAS_COMPUTE_32F:
    case CUBLAS_COMPUTE_32F_PEDANTIC:
      if ((ab == CUDA_R_16F || ab == CUDA_R_16BF) && (cd == ab || cd == CUDA_R_32F)) {
        *scale = CUDA_R_32F;
        return true;
      }
      [[fallthrough]];
    case CUBLAS_COMPUTE_32F_FAST_16F:
    case CUBLAS_COMPUTE_32F_FAST_16BF:
    case CUBLAS_COMPUTE_32F_FAST_TF32:
      if (ab == CUDA_R_32F && cd == CUDA_R_32F) {
        *scale = CUDA_R_32F;
        return true;
      }
      if (ab == CUDA_C_32F && cd == CUDA_C_32F) {
        *scale = CUDA_C_32F;
        return true;
      }
      return false;
    case CUBLAS_COMPUTE_64F:
    case CUBLAS_COMPUTE_64F_PEDANTIC:
      if ((ab == CUDA_R_64F || ab == CUDA_C_64F) && cd == ab) {
        *scale = ab;
        return true;
      }
      return false;
    default:
      return false;
  }
}

bool valid_op(cublasOperation_t op) {
  return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C;
}

/// The largest power of two (at most 256) dividing the address and the batch stride in bytes.
int64_t alignment(const void* p, int64_t stride_bytes) {
  const uint64_t v =
      static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)) | static_cast<uint64_t>(stride_bytes);
  int64_t a = 256;
  while (a > 1 && v % static_cast<uint64_t>(a) != 0)
    a >>= 1;
  return a;
}

// ---------------- cuBLAS ----------------

struct BlasHandle {
  cudaStream_t stream = nullptr;
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
};

/// The checks cublasGemm*Ex make before touching memory. Fills *scale.
cublasStatus_t check_gemm_ex(cublasHandle_t handle, cublasOperation_t transa,
                             cublasOperation_t transb, int m, int n, int k, const void* alpha,
                             cudaDataType Atype, int lda, cudaDataType Btype, int ldb,
                             const void* beta, cudaDataType Ctype, int ldc, int batch,
                             cublasComputeType_t compute, cublasGemmAlgo_t algo,
                             cudaDataType* scale) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!valid_op(transa) || !valid_op(transb) || m < 0 || n < 0 || k < 0 || batch < 0) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  const int a_rows = transa == CUBLAS_OP_N ? m : k;
  const int b_rows = transb == CUBLAS_OP_N ? k : n;
  if (lda < (a_rows > 1 ? a_rows : 1) || ldb < (b_rows > 1 ? b_rows : 1) || ldc < (m > 1 ? m : 1)) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (!alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
  const int a = static_cast<int>(algo);
  if (!((a >= CUBLAS_GEMM_DEFAULT && a <= CUBLAS_GEMM_ALGO23) ||
        (a >= CUBLAS_GEMM_DEFAULT_TENSOR_OP && a <= CUBLAS_GEMM_ALGO15_TENSOR_OP))) {
    return CUBLAS_STATUS_NOT_SUPPORTED;
  }
  if (Atype != Btype || !scale_type(compute, Atype, Ctype, scale)) {
    return CUBLAS_STATUS_NOT_SUPPORTED;
  }
  return CUBLAS_STATUS_SUCCESS;
}

/// One product of a cublasGemm*Ex call (column-major operands).
cublasStatus_t gemm_one(cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
                        Cx alpha, const void* A, cudaDataType Atype, int lda, const void* B,
                        cudaDataType Btype, int ldb, Cx beta, void* C, cudaDataType Ctype,
                        int ldc) {
  if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
  const bool use_ab = k > 0 && !is_zero(alpha);
  if (!C || (use_ab && (!A || !B))) return CUBLAS_STATUS_EXECUTION_FAILED;  // a device fault
  Product p{};
  p.m = m;
  p.n = n;
  p.k = k;
  p.ta = transa;
  p.tb = transb;
  p.a = {Atype, static_cast<const char*>(A), 1, lda};
  p.b = {Btype, static_cast<const char*>(B), 1, ldb};
  p.d = {Ctype, static_cast<const char*>(C), 1, ldc};
  p.c = p.d;
  if (is_zero(beta)) p.c.base = nullptr;
  p.alpha = alpha;
  p.beta = beta;
  run_product(p);
  return CUBLAS_STATUS_SUCCESS;
}

// ---------------- cuBLASLt ----------------

struct LtHandle {
  int unused = 0;
};

struct Layout {
  cudaDataType type;
  int32_t order = CUBLASLT_ORDER_COL;
  uint64_t rows, cols;
  int64_t ld;
  int32_t batch = 1;
  int64_t stride = 0;  // elements
};

struct Desc {
  int32_t compute;
  int32_t scale;
  int32_t pointer_mode = CUBLASLT_POINTER_MODE_HOST;
  int32_t trans_a = CUBLAS_OP_N, trans_b = CUBLAS_OP_N, trans_c = CUBLAS_OP_N;
  int32_t fill = CUBLAS_FILL_MODE_FULL;
  uint32_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  const void* bias = nullptr;
  int64_t bias_stride = 0;
  int32_t bias_type = -1;  // -1: D's type
  int32_t sm_count = 0;
};

struct Pref {
  uint32_t search = CUBLASLT_SEARCH_BEST_FIT;
  uint64_t workspace = 0;
  uint32_t reduction_mask = CUBLASLT_REDUCTION_SCHEME_MASK;
  uint32_t align[4] = {256, 256, 256, 256};  // A, B, C, D
  float max_waves = 0.0f;
  uint64_t impl_mask = ~uint64_t(0);
};

// The emulator's one algorithm: data[0] marks it, data[1..4] the alignments (A, B, C, D) it
// was chosen for.
constexpr uint64_t kAlgoMark = 0x54616e64656d4c74ull;  // "TandemLt"

Layout* layout(cublasLtMatrixLayout_t l) {
  return reinterpret_cast<Layout*>(l);
}
Desc* desc(cublasLtMatmulDesc_t d) {
  return reinterpret_cast<Desc*>(d);
}
Pref* pref(cublasLtMatmulPreference_t p) {
  return reinterpret_cast<Pref*>(p);
}

template <typename T>
cublasStatus_t read_attr(T* value, const void* buf, size_t size) {
  if (!buf || size != sizeof(T)) return CUBLAS_STATUS_INVALID_VALUE;
  std::memcpy(value, buf, sizeof(T));
  return CUBLAS_STATUS_SUCCESS;
}

template <typename T>
cublasStatus_t write_attr(const T& value, void* buf, size_t size, size_t* written) {
  if (size == 0) {
    if (!written) return CUBLAS_STATUS_INVALID_VALUE;
    *written = sizeof(T);
    return CUBLAS_STATUS_SUCCESS;
  }
  if (!buf || size != sizeof(T)) return CUBLAS_STATUS_INVALID_VALUE;
  std::memcpy(buf, &value, sizeof(T));
  if (written) *written = sizeof(T);
  return CUBLAS_STATUS_SUCCESS;
}

/// Reads an attribute of type T into *dst when `ok` accepts it (else NOT_SUPPORTED).
template <typename T, typename Ok>
cublasStatus_t set_checked(T* dst, const void* buf, size_t size, Ok ok) {
  T v;
  cublasStatus_t st = read_attr(&v, buf, size);
  if (st != CUBLAS_STATUS_SUCCESS) return st;
  if (!ok(v)) return CUBLAS_STATUS_NOT_SUPPORTED;
  *dst = v;
  return CUBLAS_STATUS_SUCCESS;
}

bool supported_epilogue(uint32_t e) {
  return e == CUBLASLT_EPILOGUE_DEFAULT || e == CUBLASLT_EPILOGUE_RELU ||
         e == CUBLASLT_EPILOGUE_BIAS || e == CUBLASLT_EPILOGUE_RELU_BIAS;
}

bool has_bias(uint32_t e) {
  return e == CUBLASLT_EPILOGUE_BIAS || e == CUBLASLT_EPILOGUE_RELU_BIAS;
}

/// A matrix of a layout, batch entry `b`.
Mat lt_mat(const Layout& l, const void* p, int64_t b) {
  const bool col = l.order == CUBLASLT_ORDER_COL;
  const char* base = p ? static_cast<const char*>(p) + b * l.stride * type_size(l.type) : nullptr;
  return {l.type, base, col ? 1 : l.ld, col ? l.ld : 1};
}

struct LtShape {
  int64_t m, n, k, batch;
};

/// The checks of cublasLtMatmul and its heuristic on the descriptors alone.
cublasStatus_t check_lt(cublasLtMatmulDesc_t computeDesc, cublasLtMatrixLayout_t Adesc,
                        cublasLtMatrixLayout_t Bdesc, cublasLtMatrixLayout_t Cdesc,
                        cublasLtMatrixLayout_t Ddesc, LtShape* shape) {
  if (!computeDesc || !Adesc || !Bdesc || !Cdesc || !Ddesc) return CUBLAS_STATUS_INVALID_VALUE;
  const Desc& o = *desc(computeDesc);
  const Layout &a = *layout(Adesc), &b = *layout(Bdesc), &c = *layout(Cdesc), &d = *layout(Ddesc);
  const cublasOperation_t ta = static_cast<cublasOperation_t>(o.trans_a);
  const cublasOperation_t tb = static_cast<cublasOperation_t>(o.trans_b);
  if (!valid_op(ta) || !valid_op(tb)) return CUBLAS_STATUS_INVALID_VALUE;
  for (const Layout* l : {&a, &b, &c, &d}) {
    if (!supported_type(l->type)) return CUBLAS_STATUS_NOT_SUPPORTED;
  }
  cudaDataType scale;
  if (a.type != b.type || c.type != d.type ||
      !scale_type(static_cast<cublasComputeType_t>(o.compute), a.type, d.type, &scale) ||
      scale != static_cast<cudaDataType>(o.scale)) {
    return CUBLAS_STATUS_NOT_SUPPORTED;
  }
  if (o.epilogue != CUBLASLT_EPILOGUE_DEFAULT) {
    if (is_complex(d.type)) return CUBLAS_STATUS_NOT_SUPPORTED;
    if (has_bias(o.epilogue) && o.bias_type != -1 &&
        static_cast<cudaDataType>(o.bias_type) != d.type) {
      return CUBLAS_STATUS_NOT_SUPPORTED;
    }
  }
  // Sizes: D and C are m x n, the stored A m x k (k x m when transposed), B k x n (n x k).
  const int64_t m = static_cast<int64_t>(d.rows), n = static_cast<int64_t>(d.cols);
  const int64_t k = static_cast<int64_t>(ta == CUBLAS_OP_N ? a.cols : a.rows);
  const uint64_t am = ta == CUBLAS_OP_N ? a.rows : a.cols;
  const uint64_t bk = tb == CUBLAS_OP_N ? b.rows : b.cols;
  const uint64_t bn = tb == CUBLAS_OP_N ? b.cols : b.rows;
  if (c.rows != d.rows || c.cols != d.cols || am != d.rows || bk != static_cast<uint64_t>(k) ||
      bn != d.cols) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  for (const Layout* l : {&a, &b, &c, &d}) {
    const uint64_t inner = l->order == CUBLASLT_ORDER_COL ? l->rows : l->cols;
    if (l->ld < 1 || static_cast<uint64_t>(l->ld) < inner) return CUBLAS_STATUS_INVALID_VALUE;
    if (l->batch != d.batch) return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (d.batch < 1) return CUBLAS_STATUS_INVALID_VALUE;
  *shape = {m, n, k, d.batch};
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t lt_matmul(cublasLtMatmulDesc_t computeDesc, const void* alpha, const void* A,
                         cublasLtMatrixLayout_t Adesc, const void* B, cublasLtMatrixLayout_t Bdesc,
                         const void* beta, const void* C, cublasLtMatrixLayout_t Cdesc, void* D,
                         cublasLtMatrixLayout_t Ddesc, const cublasLtMatmulAlgo_t* algo) {
  LtShape s;
  cublasStatus_t st = check_lt(computeDesc, Adesc, Bdesc, Cdesc, Ddesc, &s);
  if (st != CUBLAS_STATUS_SUCCESS) return st;
  const Desc& o = *desc(computeDesc);
  const Layout &a = *layout(Adesc), &b = *layout(Bdesc), &c = *layout(Cdesc), &d = *layout(Ddesc);
  if (!alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
  const cudaDataType scale = static_cast<cudaDataType>(o.scale);
  const Cx al = load(scale, static_cast<const char*>(alpha));
  const Cx be = load(scale, static_cast<const char*>(beta));
  if (s.m == 0 || s.n == 0) return CUBLAS_STATUS_SUCCESS;
  const bool use_ab = s.k > 0 && !is_zero(al);
  const bool bias = has_bias(o.epilogue);
  if (!D || (use_ab && (!A || !B)) || (!is_zero(be) && !C) || (bias && !o.bias)) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  // In place (C == D): the two layouts must agree.
  if (C == D && (c.type != d.type || c.order != d.order || c.ld != d.ld ||
                 (s.batch > 1 && c.stride != d.stride))) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (algo) {
    if (algo->data[0] != kAlgoMark) return CUBLAS_STATUS_INVALID_VALUE;
    const bool batched = s.batch > 1;
    const void* ptrs[4] = {A, B, C, D};
    const Layout* ls[4] = {&a, &b, &c, &d};
    for (int i = 0; i < 4; ++i) {
      if (!ptrs[i] || (i < 2 && !use_ab) || (i == 2 && is_zero(be))) continue;  // not read
      const int64_t stride = batched ? ls[i]->stride * type_size(ls[i]->type) : 0;
      if (static_cast<uint64_t>(alignment(ptrs[i], stride)) < algo->data[1 + i]) {
        return CUBLAS_STATUS_INVALID_VALUE;  // the algorithm was chosen for stricter alignment
      }
    }
  }
  const cudaDataType bias_type =
      o.bias_type == -1 ? d.type : static_cast<cudaDataType>(o.bias_type);
  for (int64_t i = 0; i < s.batch; ++i) {
    Product p{};
    p.m = s.m;
    p.n = s.n;
    p.k = s.k;
    p.ta = static_cast<cublasOperation_t>(o.trans_a);
    p.tb = static_cast<cublasOperation_t>(o.trans_b);
    p.a = lt_mat(a, A, i);
    p.b = lt_mat(b, B, i);
    p.c = lt_mat(c, C, i);
    if (is_zero(be)) p.c.base = nullptr;
    p.d = lt_mat(d, D, i);
    p.alpha = al;
    p.beta = be;
    if (bias) {
      p.bias = static_cast<const char*>(o.bias) + i * o.bias_stride * type_size(bias_type);
      p.bias_type = bias_type;
    }
    p.relu = o.epilogue == CUBLASLT_EPILOGUE_RELU || o.epilogue == CUBLASLT_EPILOGUE_RELU_BIAS;
    run_product(p);
  }
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

}  // namespace tandem_emu

using namespace tandem_emu;

extern "C" {

// ---------------- cuBLAS ----------------

cublasStatus_t cublasCreate_v2(cublasHandle_t* handle) {
  if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
  *handle = reinterpret_cast<cublasHandle_t>(new BlasHandle());
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete reinterpret_cast<BlasHandle*>(handle);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  reinterpret_cast<BlasHandle*>(handle)->stream = streamId;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  const unsigned m = static_cast<unsigned>(mode);
  const unsigned base = m & ~unsigned(CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);
  if (base != CUBLAS_DEFAULT_MATH && base != CUBLAS_TENSOR_OP_MATH &&
      base != CUBLAS_PEDANTIC_MATH && base != CUBLAS_TF32_TENSOR_OP_MATH) {
    return CUBLAS_STATUS_NOT_SUPPORTED;
  }
  reinterpret_cast<BlasHandle*>(handle)->math = mode;
  return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR:
      return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR:
      return "CUBLAS_STATUS_LICENSE_ERROR";
    default:
      return "<unknown>";
  }
}

cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa,
                            cublasOperation_t transb, int m, int n, int k, const void* alpha,
                            const void* A, cudaDataType Atype, int lda, const void* B,
                            cudaDataType Btype, int ldb, const void* beta, void* C,
                            cudaDataType Ctype, int ldc, cublasComputeType_t computeType,
                            cublasGemmAlgo_t algo) {
  cudaDataType scale;
  cublasStatus_t st = check_gemm_ex(handle, transa, transb, m, n, k, alpha, Atype, lda, Btype, ldb,
                                    beta, Ctype, ldc, 1, computeType, algo, &scale);
  if (st != CUBLAS_STATUS_SUCCESS) return st;
  const Cx al = load(scale, static_cast<const char*>(alpha));
  const Cx be = load(scale, static_cast<const char*>(beta));
  return gemm_one(transa, transb, m, n, k, al, A, Atype, lda, B, Btype, ldb, be, C, Ctype, ldc);
}

cublasStatus_t cublasGemmBatchedEx(cublasHandle_t handle, cublasOperation_t transa,
                                   cublasOperation_t transb, int m, int n, int k, const void* alpha,
                                   const void* const Aarray[], cudaDataType Atype, int lda,
                                   const void* const Barray[], cudaDataType Btype, int ldb,
                                   const void* beta, void* const Carray[], cudaDataType Ctype,
                                   int ldc, int batchCount, cublasComputeType_t computeType,
                                   cublasGemmAlgo_t algo) {
  cudaDataType scale;
  cublasStatus_t st = check_gemm_ex(handle, transa, transb, m, n, k, alpha, Atype, lda, Btype, ldb,
                                    beta, Ctype, ldc, batchCount, computeType, algo, &scale);
  if (st != CUBLAS_STATUS_SUCCESS) return st;
  if (batchCount == 0 || m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
  if (!Aarray || !Barray || !Carray) return CUBLAS_STATUS_INVALID_VALUE;
  const Cx al = load(scale, static_cast<const char*>(alpha));
  const Cx be = load(scale, static_cast<const char*>(beta));
  for (int i = 0; i < batchCount; ++i) {
    st = gemm_one(transa, transb, m, n, k, al, Aarray[i], Atype, lda, Barray[i], Btype, ldb, be,
                  Carray[i], Ctype, ldc);
    if (st != CUBLAS_STATUS_SUCCESS) return st;
  }
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa,
                                          cublasOperation_t transb, int m, int n, int k,
                                          const void* alpha, const void* A, cudaDataType Atype,
                                          int lda, long long int strideA, const void* B,
                                          cudaDataType Btype, int ldb, long long int strideB,
                                          const void* beta, void* C, cudaDataType Ctype, int ldc,
                                          long long int strideC, int batchCount,
                                          cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
  cudaDataType scale;
  cublasStatus_t st = check_gemm_ex(handle, transa, transb, m, n, k, alpha, Atype, lda, Btype, ldb,
                                    beta, Ctype, ldc, batchCount, computeType, algo, &scale);
  if (st != CUBLAS_STATUS_SUCCESS) return st;
  const Cx al = load(scale, static_cast<const char*>(alpha));
  const Cx be = load(scale, static_cast<const char*>(beta));
  const int64_t sa = strideA * type_size(Atype), sb = strideB * type_size(Btype);
  const int64_t sc = strideC * type_size(Ctype);
  for (int i = 0; i < batchCount; ++i) {
    // Null bases stay null (a device fault when used), whatever the stride.
    const void* a = A ? static_cast<const char*>(A) + i * sa : nullptr;
    const void* b = B ? static_cast<const char*>(B) + i * sb : nullptr;
    void* c = C ? static_cast<char*>(C) + i * sc : nullptr;
    st = gemm_one(transa, transb, m, n, k, al, a, Atype, lda, b, Btype, ldb, be, c, Ctype, ldc);
    if (st != CUBLAS_STATUS_SUCCESS) return st;
  }
  return CUBLAS_STATUS_SUCCESS;
}

// ---------------- cuBLASLt ----------------

cublasStatus_t cublasLtCreate(cublasLtHandle_t* lightHandle) {
  if (!lightHandle) return CUBLAS_STATUS_INVALID_VALUE;
  *lightHandle = reinterpret_cast<cublasLtHandle_t>(new LtHandle());
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtDestroy(cublasLtHandle_t lightHandle) {
  if (!lightHandle) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete reinterpret_cast<LtHandle*>(lightHandle);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t* matLayout, cudaDataType type,
                                          uint64_t rows, uint64_t cols, int64_t ld) {
  if (!matLayout) return CUBLAS_STATUS_INVALID_VALUE;
  Layout* l = new Layout();
  l->type = type;
  l->rows = rows;
  l->cols = cols;
  l->ld = ld;
  *matLayout = reinterpret_cast<cublasLtMatrixLayout_t>(l);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayout_t matLayout) {
  delete layout(matLayout);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatrixLayoutSetAttribute(cublasLtMatrixLayout_t matLayout,
                                                cublasLtMatrixLayoutAttribute_t attr,
                                                const void* buf, size_t sizeInBytes) {
  if (!matLayout) return CUBLAS_STATUS_INVALID_VALUE;
  Layout& l = *layout(matLayout);
  auto any = [](auto) { return true; };
  switch (attr) {
    case CUBLASLT_MATRIX_LAYOUT_TYPE: {
      uint32_t t = 0;
      cublasStatus_t st = read_attr(&t, buf, sizeInBytes);
      if (st == CUBLAS_STATUS_SUCCESS) l.type = static_cast<cudaDataType>(t);
      return st;
    }
    case CUBLASLT_MATRIX_LAYOUT_ORDER:
      return set_checked(&l.order, buf, sizeInBytes, [](int32_t v) {
        return v == CUBLASLT_ORDER_COL || v == CUBLASLT_ORDER_ROW;
      });
    case CUBLASLT_MATRIX_LAYOUT_ROWS:
      return set_checked(&l.rows, buf, sizeInBytes, any);
    case CUBLASLT_MATRIX_LAYOUT_COLS:
      return set_checked(&l.cols, buf, sizeInBytes, any);
    case CUBLASLT_MATRIX_LAYOUT_LD:
      return set_checked(&l.ld, buf, sizeInBytes, any);
    case CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT:
      return set_checked(&l.batch, buf, sizeInBytes, any);
    case CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET:
      return set_checked(&l.stride, buf, sizeInBytes, any);
    case CUBLASLT_MATRIX_LAYOUT_PLANE_OFFSET: {
      int64_t unused = 0;
      return set_checked(&unused, buf, sizeInBytes, [](int64_t v) { return v == 0; });
    }
    case CUBLASLT_MATRIX_LAYOUT_BATCH_MODE: {
      uint32_t unused = 0;
      return set_checked(&unused, buf, sizeInBytes,
                         [](uint32_t v) { return v == CUBLASLT_BATCH_MODE_STRIDED; });
    }
    default:
      return CUBLAS_STATUS_NOT_SUPPORTED;
  }
}

cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t* matmulDesc,
                                        cublasComputeType_t computeType, cudaDataType_t scaleType) {
  if (!matmulDesc) return CUBLAS_STATUS_INVALID_VALUE;
  Desc* d = new Desc();
  d->compute = computeType;
  d->scale = scaleType;
  *matmulDesc = reinterpret_cast<cublasLtMatmulDesc_t>(d);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t matmulDesc) {
  delete desc(matmulDesc);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t matmulDesc,
                                              cublasLtMatmulDescAttributes_t attr, const void* buf,
                                              size_t sizeInBytes) {
  if (!matmulDesc) return CUBLAS_STATUS_INVALID_VALUE;
  Desc& d = *desc(matmulDesc);
  auto any = [](auto) { return true; };
  auto op = [](int32_t v) { return valid_op(static_cast<cublasOperation_t>(v)); };
  switch (attr) {
    case CUBLASLT_MATMUL_DESC_COMPUTE_TYPE:
      return set_checked(&d.compute, buf, sizeInBytes, any);
    case CUBLASLT_MATMUL_DESC_SCALE_TYPE:
      return set_checked(&d.scale, buf, sizeInBytes, any);
    case CUBLASLT_MATMUL_DESC_POINTER_MODE:
      // Device memory is host memory here: a device scalar reads like a host one.
      return set_checked(&d.pointer_mode, buf, sizeInBytes, [](int32_t v) {
        return v == CUBLASLT_POINTER_MODE_HOST || v == CUBLASLT_POINTER_MODE_DEVICE;
      });
    case CUBLASLT_MATMUL_DESC_TRANSA:
      return set_checked(&d.trans_a, buf, sizeInBytes, op);
    case CUBLASLT_MATMUL_DESC_TRANSB:
      return set_checked(&d.trans_b, buf, sizeInBytes, op);
    case CUBLASLT_MATMUL_DESC_TRANSC:
      return set_checked(&d.trans_c, buf, sizeInBytes, [](int32_t v) { return v == CUBLAS_OP_N; });
    case CUBLASLT_MATMUL_DESC_FILL_MODE:
      return set_checked(&d.fill, buf, sizeInBytes,
                         [](int32_t v) { return v == CUBLAS_FILL_MODE_FULL; });
    case CUBLASLT_MATMUL_DESC_EPILOGUE:
      return set_checked(&d.epilogue, buf, sizeInBytes, supported_epilogue);
    case CUBLASLT_MATMUL_DESC_BIAS_POINTER:
      return set_checked(&d.bias, buf, sizeInBytes, any);
    case CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE:
      return set_checked(&d.bias_stride, buf, sizeInBytes, any);
    case CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE:
      return set_checked(&d.bias_type, buf, sizeInBytes, any);
    case CUBLASLT_MATMUL_DESC_SM_COUNT_TARGET:
      return set_checked(&d.sm_count, buf, sizeInBytes, any);
    default:
      return CUBLAS_STATUS_NOT_SUPPORTED;
  }
}

cublasStatus_t cublasLtMatmulDescGetAttribute(cublasLtMatmulDesc_t matmulDesc,
                                              cublasLtMatmulDescAttributes_t attr, void* buf,
                                              size_t sizeInBytes, size_t* sizeWritten) {
  if (!matmulDesc) return CUBLAS_STATUS_INVALID_VALUE;
  const Desc& d = *desc(matmulDesc);
  switch (attr) {
    case CUBLASLT_MATMUL_DESC_COMPUTE_TYPE:
      return write_attr(d.compute, buf, sizeInBytes, sizeWritten);
    case CUBLASLT_MATMUL_DESC_SCALE_TYPE:
      return write_attr(d.scale, buf, sizeInBytes, sizeWritten);
    case CUBLASLT_MATMUL_DESC_POINTER_MODE:
      return write_attr(d.pointer_mode, buf, sizeInBytes, sizeWritten);
    case CUBLASLT_MATMUL_DESC_TRANSA:
      return write_attr(d.trans_a, buf, sizeInBytes, sizeWritten);
    case CUBLASLT_MATMUL_DESC_TRANSB:
      return write_attr(d.trans_b, buf, sizeInBytes, sizeWritten);
    case CUBLASLT_MATMUL_DESC_TRANSC:
      return write_attr(d.trans_c, buf, sizeInBytes, sizeWritten);
    case CUBLASLT_MATMUL_DESC_FILL_MODE:
      return write_attr(d.fill, buf, sizeInBytes, sizeWritten);
    case CUBLASLT_MATMUL_DESC_EPILOGUE:
      return write_attr(d.epilogue, buf, sizeInBytes, sizeWritten);
    case CUBLASLT_MATMUL_DESC_BIAS_POINTER:
      return write_attr(d.bias, buf, sizeInBytes, sizeWritten);
    case CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE:
      return write_attr(d.bias_stride, buf, sizeInBytes, sizeWritten);
    case CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE:
      return write_attr(d.bias_type, buf, sizeInBytes, sizeWritten);
    case CUBLASLT_MATMUL_DESC_SM_COUNT_TARGET:
      return write_attr(d.sm_count, buf, sizeInBytes, sizeWritten);
    default:
      return CUBLAS_STATUS_NOT_SUPPORTED;
  }
}

cublasStatus_t cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t* pref) {
  if (!pref) return CUBLAS_STATUS_INVALID_VALUE;
  *pref = reinterpret_cast<cublasLtMatmulPreference_t>(new Pref());
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t pref) {
  delete tandem_emu::pref(pref);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreference_t pref,
                                                    cublasLtMatmulPreferenceAttributes_t attr,
                                                    const void* buf, size_t sizeInBytes) {
  if (!pref) return CUBLAS_STATUS_INVALID_VALUE;
  Pref& p = *tandem_emu::pref(pref);
  auto any = [](auto) { return true; };
  auto power_of_two = [](uint32_t v) { return v != 0 && (v & (v - 1)) == 0; };
  switch (attr) {
    case CUBLASLT_MATMUL_PREF_SEARCH_MODE:
      return set_checked(&p.search, buf, sizeInBytes,
                         [](uint32_t v) { return v == CUBLASLT_SEARCH_BEST_FIT; });
    case CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES:
      return set_checked(&p.workspace, buf, sizeInBytes, any);
    case CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK:
      return set_checked(&p.reduction_mask, buf, sizeInBytes, any);
    case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES:
      return set_checked(&p.align[0], buf, sizeInBytes, power_of_two);
    case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES:
      return set_checked(&p.align[1], buf, sizeInBytes, power_of_two);
    case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES:
      return set_checked(&p.align[2], buf, sizeInBytes, power_of_two);
    case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES:
      return set_checked(&p.align[3], buf, sizeInBytes, power_of_two);
    case CUBLASLT_MATMUL_PREF_MAX_WAVES_COUNT:
      return set_checked(&p.max_waves, buf, sizeInBytes, any);
    case CUBLASLT_MATMUL_PREF_IMPL_MASK:
      return set_checked(&p.impl_mask, buf, sizeInBytes, any);
    default:
      return CUBLAS_STATUS_NOT_SUPPORTED;
  }
}

cublasStatus_t cublasLtMatmulAlgoGetHeuristic(
    cublasLtHandle_t lightHandle, cublasLtMatmulDesc_t operationDesc, cublasLtMatrixLayout_t Adesc,
    cublasLtMatrixLayout_t Bdesc, cublasLtMatrixLayout_t Cdesc, cublasLtMatrixLayout_t Ddesc,
    cublasLtMatmulPreference_t preference, int requestedAlgoCount,
    cublasLtMatmulHeuristicResult_t heuristicResultsArray[], int* returnAlgoCount) {
  if (!lightHandle) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!returnAlgoCount || !heuristicResultsArray || requestedAlgoCount < 1) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  *returnAlgoCount = 0;
  LtShape s;
  cublasStatus_t st = check_lt(operationDesc, Adesc, Bdesc, Cdesc, Ddesc, &s);
  if (st != CUBLAS_STATUS_SUCCESS) return st;
  // The one algorithm: no split-K (reduction scheme NONE, which every mask allows), no
  // workspace, any alignment the preference promises.
  const Pref defaults;
  const Pref& p = preference ? *tandem_emu::pref(preference) : defaults;
  if (const char* mode = std::getenv("TANDEM_EMU_CUBLASLT_HEURISTIC")) {
    if (std::strcmp(mode, "none") == 0 || (std::strcmp(mode, "unmasked") == 0 &&
                                           p.reduction_mask != CUBLASLT_REDUCTION_SCHEME_MASK)) {
      return CUBLAS_STATUS_NOT_SUPPORTED;
    }
  }
  cublasLtMatmulHeuristicResult_t r;
  std::memset(&r, 0, sizeof(r));
  r.algo.data[0] = kAlgoMark;
  for (int i = 0; i < 4; ++i)
    r.algo.data[1 + i] = p.align[i];
  r.workspaceSize = 0;
  r.state = CUBLAS_STATUS_SUCCESS;
  r.wavesCount = 1.0f;
  heuristicResultsArray[0] = r;
  *returnAlgoCount = 1;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulAlgoConfigGetAttribute(const cublasLtMatmulAlgo_t* algo,
                                                    cublasLtMatmulAlgoConfigAttributes_t attr,
                                                    void* buf, size_t sizeInBytes,
                                                    size_t* sizeWritten) {
  if (!algo || algo->data[0] != kAlgoMark) return CUBLAS_STATUS_INVALID_VALUE;
  switch (attr) {
    case CUBLASLT_ALGO_CONFIG_ID:
      return write_attr(int32_t(0), buf, sizeInBytes, sizeWritten);
    case CUBLASLT_ALGO_CONFIG_TILE_ID:
      return write_attr(uint32_t(CUBLASLT_MATMUL_TILE_UNDEFINED), buf, sizeInBytes, sizeWritten);
    case CUBLASLT_ALGO_CONFIG_SPLITK_NUM:
      return write_attr(int32_t(1), buf, sizeInBytes, sizeWritten);
    case CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME:
      return write_attr(uint32_t(CUBLASLT_REDUCTION_SCHEME_NONE), buf, sizeInBytes, sizeWritten);
    case CUBLASLT_ALGO_CONFIG_CTA_SWIZZLING:
    case CUBLASLT_ALGO_CONFIG_CUSTOM_OPTION:
      return write_attr(uint32_t(0), buf, sizeInBytes, sizeWritten);
    case CUBLASLT_ALGO_CONFIG_STAGES_ID:
      return write_attr(uint32_t(CUBLASLT_MATMUL_STAGES_UNDEFINED), buf, sizeInBytes, sizeWritten);
    case CUBLASLT_ALGO_CONFIG_INNER_SHAPE_ID:
      return write_attr(uint16_t(CUBLASLT_MATMUL_INNER_SHAPE_UNDEFINED), buf, sizeInBytes,
                        sizeWritten);
    case CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID:
      return write_attr(uint16_t(CUBLASLT_CLUSTER_SHAPE_AUTO), buf, sizeInBytes, sizeWritten);
    default:
      return CUBLAS_STATUS_NOT_SUPPORTED;
  }
}

cublasStatus_t cublasLtMatmul(cublasLtHandle_t lightHandle, cublasLtMatmulDesc_t computeDesc,
                              const void* alpha, const void* A, cublasLtMatrixLayout_t Adesc,
                              const void* B, cublasLtMatrixLayout_t Bdesc, const void* beta,
                              const void* C, cublasLtMatrixLayout_t Cdesc, void* D,
                              cublasLtMatrixLayout_t Ddesc, const cublasLtMatmulAlgo_t* algo,
                              void* workspace, size_t workspaceSizeInBytes, cudaStream_t stream) {
  (void)workspace;  // the emulated algorithm needs none
  (void)workspaceSizeInBytes;
  (void)stream;  // work runs when it is queued
  if (!lightHandle) return CUBLAS_STATUS_NOT_INITIALIZED;
  return lt_matmul(computeDesc, alpha, A, Adesc, B, Bdesc, beta, C, Cdesc, D, Ddesc, algo);
}

}  // extern "C"
