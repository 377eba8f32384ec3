// Copyright © 2026 Tandem authors.
// Benchmark cases: matmul, GEMV, convolution, attention, quantized matmul, and Tandem against
// direct BLAS calls in the same process.
#include "bench_common.h"

namespace tandem_bench {

// ============================== matmul, GEMV, attention, convolution
// ==============================

// Tolerance for one dot product of bf16 or fp32 inputs, given its sum of |terms|.
double dot_tol(tx::Dtype dt, double ref, double sum_abs) {
  return dt == tx::bfloat16 ? 1e-2 * std::abs(ref) + 5e-4 * sum_abs + 1e-3 : 2e-5 * sum_abs + 1e-6;
}

// shape = {M, K, N}: [M, K] @ [K, N]; or {batch, M, K, N}: [batch, M, K] @ [batch, K, N].
Bench bench_matmul(const Dims& shape, tx::Dtype dt) {
  size_t r = shape.size();
  int64_t batch = r == 4 ? shape[0] : 0, M = shape[r - 3], K = shape[r - 2], N = shape[r - 1];
  int64_t nb = std::max<int64_t>(batch, 1);
  Dims sa = batch ? Dims{batch, M, K} : Dims{M, K}, sb = batch ? Dims{batch, K, N} : Dims{K, N};
  auto a = make_input(sa, dt, 20), bm = make_input(sb, dt, 21);
  Bench b;
  b.step = [a, bm] { return std::vector<array>{tx::matmul(a->arr, bm->arr)}; };
  b.check = [=](std::vector<array>& o) {
    auto got = o[0].to_vector<float>();
    if (got.size() != static_cast<size_t>(nb * M * N)) return Check{false, "wrong output size"};
    Checker c(0, 0);
    uint64_t s = 99;
    for (int t = 0; t < 256; ++t) {
      int64_t bi = splitmix64(s) % nb, i = splitmix64(s) % M, j = splitmix64(s) % N;
      const float* pa = a->host.data() + (bi * M + i) * K;
      const float* pb = bm->host.data() + bi * K * N + j;
      double ref = 0, mag = 0;
      for (int64_t k = 0; k < K; ++k) {
        ref += double(pa[k]) * pb[k * N];
        mag += std::abs(double(pa[k]) * pb[k * N]);
      }
      size_t at = (bi * M + i) * N + j;
      c.add(got[at], ref, dot_tol(dt, ref, mag), at);
    }
    return c.result();
  };
  b.flops = 2.0 * nb * M * N * K;
  return b;
}

// shape = {N, K}: y[1, N] = v[1, K] @ W[N, K]^T (torch: v @ W.T).
Bench bench_gemv(const Dims& shape) {
  int64_t N = shape[0], K = shape[1];
  auto w = make_input({N, K}, tx::bfloat16, 22), v = make_input({1, K}, tx::bfloat16, 23);
  Bench b;
  b.step = [w, v] { return std::vector<array>{tx::matmul(v->arr, tx::transpose(w->arr))}; };
  b.check = [=](std::vector<array>& o) {
    auto got = o[0].to_vector<float>();
    if (got.size() != static_cast<size_t>(N)) return Check{false, "wrong output size"};
    Checker c(0, 0);
    for (int64_t n = 0; n < N; ++n) {
      double ref = 0, mag = 0;
      for (int64_t k = 0; k < K; ++k) {
        double t = double(v->host[k]) * w->host[n * K + k];
        ref += t;
        mag += std::abs(t);
      }
      c.add(got[n], ref, dot_tol(tx::bfloat16, ref, mag), n);
    }
    return c.result();
  };
  b.bytes = double(N) * K * 2;
  b.note = "bytes = the matrix read once";
  return b;
}

// shape = {B, H, Lq, Lk, D}.
Bench bench_sdpa(const Dims& shape, bool causal) {
  int64_t B = shape[0], H = shape[1], Lq = shape[2], Lk = shape[3], D = shape[4];
  auto q = make_input({B, H, Lq, D}, tx::bfloat16, 24);
  auto k = make_input({B, H, Lk, D}, tx::bfloat16, 25);
  auto v = make_input({B, H, Lk, D}, tx::bfloat16, 26);
  // causal: query i sees keys j <= i + (Lk - Lq) (bottom-right aligned, as torch and MLX).
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  Bench b;
  b.step = [q, k, v, causal, scale] {
    return std::vector<array>{tx::fast::scaled_dot_product_attention(q->arr, k->arr, v->arr, scale,
                                                                     causal ? "causal" : "")};
  };
  b.check = [=](std::vector<array>& o) {
    auto got = o[0].to_vector<float>();
    if (got.size() != static_cast<size_t>(B * H * Lq * D)) {
      return Check{false, "wrong output size"};
    }
    Checker c(2e-2, 5e-2);
    double scale = 1.0 / std::sqrt(double(D));
    std::vector<double> p(Lk), out(D);
    for (int64_t bh : sample_rows(B * H, 4)) {
      for (int64_t i : sample_rows(Lq, 8)) {
        const float* qi = q->host.data() + (bh * Lq + i) * D;
        int64_t last = causal ? i + (Lk - Lq) : Lk - 1;
        double m = -INFINITY, z = 0;
        for (int64_t j = 0; j <= last; ++j) {
          const float* kj = k->host.data() + (bh * Lk + j) * D;
          double s = 0;
          for (int64_t d = 0; d < D; ++d)
            s += double(qi[d]) * kj[d];
          p[j] = s * scale;
          m = std::max(m, p[j]);
        }
        for (int64_t j = 0; j <= last; ++j)
          z += (p[j] = std::exp(p[j] - m));
        std::fill(out.begin(), out.end(), 0.0);
        for (int64_t j = 0; j <= last; ++j) {
          const float* vj = v->host.data() + (bh * Lk + j) * D;
          for (int64_t d = 0; d < D; ++d)
            out[d] += p[j] / z * vj[d];
        }
        for (int64_t d = 0; d < D; ++d) {
          size_t at = (bh * Lq + i) * D + d;
          c(got[at], out[d], at);
        }
      }
    }
    return c.result();
  };
  if (Lq == 1) {
    b.bytes = 2.0 * B * H * Lk * D * 2;
    b.note =
        "fast::scaled_dot_product_attention (matmul, fused softmax, matmul); bytes = K and "
        "V read once";
  } else {
    b.flops = 4.0 * B * H * Lq * Lk * D / (causal ? 2 : 1);
    b.note =
        "fast::scaled_dot_product_attention (matmul, fused softmax, matmul; the full score "
        "matrix is materialised)";
  }
  return b;
}

// shape = {N, H, W, C, O, KH, KW}: NHWC input, OHWI weight, stride 1, same padding.
Bench bench_conv2d(const Dims& shape, tx::Dtype dt = tx::bfloat16) {
  int64_t N = shape[0], H = shape[1], W = shape[2], C = shape[3], O = shape[4], KH = shape[5],
          KW = shape[6];
  auto x = make_input({N, H, W, C}, dt, 27);
  auto w = make_input({O, KH, KW, C}, dt, 28);
  int ph = int(KH / 2), pw = int(KW / 2);
  Bench b;
  b.step = [x, w, ph, pw] {
    return std::vector<array>{
        tx::conv2d(x->arr, w->arr, std::pair<int, int>{1, 1}, std::pair<int, int>{ph, pw})};
  };
  b.check = [=](std::vector<array>& o) {
    auto got = o[0].to_vector<float>();
    if (got.size() != static_cast<size_t>(N * H * W * O)) {
      return Check{false, "wrong output size"};
    }
    Checker c(0, 0);
    uint64_t s = 7;
    for (int t = 0; t < 128; ++t) {
      int64_t n = splitmix64(s) % N, y = splitmix64(s) % H, xx = splitmix64(s) % W,
              oc = splitmix64(s) % O;
      if (t < 4) y = (t & 1) ? H - 1 : 0;  // include borders
      double ref = 0, mag = 0;
      for (int64_t i = 0; i < KH; ++i) {
        for (int64_t j = 0; j < KW; ++j) {
          int64_t yi = y + i - ph, xj = xx + j - pw;
          if (yi < 0 || yi >= H || xj < 0 || xj >= W) continue;
          const float* px = x->host.data() + ((n * H + yi) * W + xj) * C;
          const float* pw_ = w->host.data() + ((oc * KH + i) * KW + j) * C;
          for (int64_t cc = 0; cc < C; ++cc) {
            double tm = double(px[cc]) * pw_[cc];
            ref += tm;
            mag += std::abs(tm);
          }
        }
      }
      size_t at = ((n * H + y) * W + xx) * O + oc;
      c.add(got[at], ref, dot_tol(dt, ref, mag), at);
    }
    return c.result();
  };
  b.flops = 2.0 * N * H * W * C * O * KH * KW;
  return b;
}

// ============================== Tandem vs. direct BLAS ==============================
// Issue #3's performance criteria compare Tandem with the OpenBLAS it calls, in one process: matmul
// against one cblas_sgemm call, GEMV against one cblas_sgemv call, conv2d against a plain im2col
// (one thread, memcpy per kernel tap) followed by one cblas_sgemm. The baseline runs on the same
// input values, is timed interleaved with the Tandem step, and is checked like it.

// Tandem runs OpenBLAS single-threaded and splits large products over its own pool
// (src/backend/cpu/blas_threads.h). A baseline call is OpenBLAS as a program calling it directly
// gets it: with as many threads as Tandem's pool, set for the call and restored after. OpenBLAS's
// workers keep spinning for ~0.1 s after a threaded call; the cases wait that out (untimed,
// kOpenBlasSettleMs) so that they do not slow the Tandem run timed next.
extern "C" {
void openblas_set_num_threads(int) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));
}
constexpr double kOpenBlasSettleMs = 150;
struct OpenBlasThreads {
  int saved = 0;
  OpenBlasThreads() {
    if (!openblas_set_num_threads || !openblas_get_num_threads) return;
    saved = openblas_get_num_threads();
    openblas_set_num_threads(tx::cpu::num_threads());
  }
  ~OpenBlasThreads() {
    if (saved > 0) openblas_set_num_threads(saved);
  }
};

// `count` entries C[i, j] of a row-major [M, K] @ [K, N] product, spread over the matrix, against
// double-precision dot products.
Check check_gemm_entries(const float* got, const float* A, const float* B, int64_t M, int64_t K,
                         int64_t N, int count) {
  Checker c(0, 0);
  uint64_t s = 123;
  for (int t = 0; t < count; ++t) {
    int64_t i = splitmix64(s) % M, j = splitmix64(s) % N;
    double ref = 0, mag = 0;
    for (int64_t k = 0; k < K; ++k) {
      ref += double(A[i * K + k]) * B[k * N + j];
      mag += std::abs(double(A[i * K + k]) * B[k * N + j]);
    }
    c.add(got[i * N + j], ref, dot_tol(tx::float32, ref, mag), i * N + j);
  }
  return c.result();
}

// shape = {M, K, N}, float32: Tandem's matmul against cblas_sgemm on the same values.
Bench bench_matmul_vs_sgemm(const Dims& shape) {
  int64_t M = shape[0], K = shape[1], N = shape[2];
  Bench b = bench_matmul(shape, tx::float32);  // inputs from seeds 20 and 21
  auto a = make_input({M, K}, tx::float32, 20), bm = make_input({K, N}, tx::float32, 21);
  auto out = std::make_shared<std::vector<float>>(M * N);
  b.baseline = [=] {
    OpenBlasThreads threads;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(M), int(N), int(K), 1.0f,
                a->host.data(), int(K), bm->host.data(), int(N), 0.0f, out->data(), int(N));
  };
  b.baseline_name = "cblas_sgemm";
  b.baseline_settle_ms = kOpenBlasSettleMs;
  b.baseline_check = [=] {
    return check_gemm_entries(out->data(), a->host.data(), bm->host.data(), M, K, N, 256);
  };
  b.note = "matmul(a, b), a [M,K], b [K,N] row-major; baseline: one cblas_sgemm on the same data";
  return b;
}

// shape = {N, K}, float32: y[1, N] = v[1, K] @ W[N, K]^T against cblas_sgemv.
Bench bench_gemv_vs_sgemv(const Dims& shape) {
  int64_t N = shape[0], K = shape[1];
  auto w = make_input({N, K}, tx::float32, 22), v = make_input({1, K}, tx::float32, 23);
  auto out = std::make_shared<std::vector<float>>(N);
  Bench b;
  b.step = [w, v] { return std::vector<array>{tx::matmul(v->arr, tx::transpose(w->arr))}; };
  auto check = [=](const float* got) {
    Checker c(0, 0);
    for (int64_t j = 0; j < N; ++j) {
      double ref = 0, mag = 0;
      for (int64_t k = 0; k < K; ++k) {
        ref += double(v->host[k]) * w->host[j * K + k];
        mag += std::abs(double(v->host[k]) * w->host[j * K + k]);
      }
      c.add(got[j], ref, dot_tol(tx::float32, ref, mag), j);
    }
    return c.result();
  };
  b.check = [check](std::vector<array>& o) {
    auto got = o[0].to_vector<float>();
    return check(got.data());
  };
  b.baseline = [=] {
    OpenBlasThreads threads;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, int(N), int(K), 1.0f, w->host.data(), int(K),
                v->host.data(), 1, 0.0f, out->data(), 1);
  };
  b.baseline_name = "cblas_sgemv";
  b.baseline_settle_ms = kOpenBlasSettleMs;
  b.baseline_check = [check, out] { return check(out->data()); };
  b.bytes = 4.0 * (N * K + K + N);
  b.flops = 2.0 * N * K;
  b.note = "matmul(v, transpose(W)); baseline: one cblas_sgemv; bytes = W, v read + y written";
  return b;
}

// shape = {N, H, W, C, O, KH, KW}, float32, stride 1, same padding: Tandem's conv2d against a
// plain im2col + cblas_sgemm of the same problem.
Bench bench_conv2d_vs_im2col(const Dims& shape) {
  int64_t N = shape[0], H = shape[1], W = shape[2], C = shape[3], O = shape[4], KH = shape[5],
          KW = shape[6];
  int64_t ph = KH / 2, pw = KW / 2;
  Bench b = bench_conv2d(shape, tx::float32);  // inputs from seeds 27 and 28
  auto x = make_input({N, H, W, C}, tx::float32, 27),
       w = make_input({O, KH, KW, C}, tx::float32, 28);
  const int64_t rows = N * H * W, cols = KH * KW * C;
  auto col = std::make_shared<std::vector<float>>(rows * cols);
  auto out = std::make_shared<std::vector<float>>(rows * O);
  b.baseline = [=] {
    const float* X = x->host.data();
    float* dst = col->data();
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t y = 0; y < H; ++y) {
        for (int64_t xx = 0; xx < W; ++xx) {
          for (int64_t i = 0; i < KH; ++i) {
            for (int64_t j = 0; j < KW; ++j, dst += C) {
              int64_t yi = y + i - ph, xj = xx + j - pw;
              if (yi < 0 || yi >= H || xj < 0 || xj >= W) {
                std::memset(dst, 0, sizeof(float) * C);
              } else {
                std::memcpy(dst, X + ((n * H + yi) * W + xj) * C, sizeof(float) * C);
              }
            }
          }
        }
      }
    }
    OpenBlasThreads threads;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(rows), int(O), int(cols), 1.0f,
                col->data(), int(cols), w->host.data(), int(cols), 0.0f, out->data(), int(O));
  };
  b.baseline_name = "im2col+cblas_sgemm";
  b.baseline_settle_ms = kOpenBlasSettleMs;
  b.baseline_check = [=] {
    Checker c(0, 0);
    uint64_t s = 7;
    for (int t = 0; t < 128; ++t) {
      int64_t n = splitmix64(s) % N, y = splitmix64(s) % H, xx = splitmix64(s) % W,
              oc = splitmix64(s) % O;
      double ref = 0, mag = 0;
      for (int64_t i = 0; i < KH; ++i) {
        for (int64_t j = 0; j < KW; ++j) {
          int64_t yi = y + i - ph, xj = xx + j - pw;
          if (yi < 0 || yi >= H || xj < 0 || xj >= W) continue;
          for (int64_t cc = 0; cc < C; ++cc) {
            double tm = double(x->host[((n * H + yi) * W + xj) * C + cc]) *
                        w->host[((oc * KH + i) * KW + j) * C + cc];
            ref += tm;
            mag += std::abs(tm);
          }
        }
      }
      size_t at = ((n * H + y) * W + xx) * O + oc;
      c.add((*out)[at], ref, dot_tol(tx::float32, ref, mag), at);
    }
    return c.result();
  };
  b.note =
      "conv2d NHWC/OHWI, stride 1, same padding; baseline: single-threaded im2col (memcpy "
      "per tap) + one cblas_sgemm";
  return b;
}

// ============================== quantized matmul ==============================

// shape = {M, K, N}: y[M, N] = x[M, K] @ W^T with W[N, K] quantized to 4 bits in groups of 64
// (MLX's affine format). `dequantized_ref`: the same product as a float32 matmul with the
// dequantized W (materialised once, outside the timed region), for comparison.
Bench bench_qmm(const Dims& shape, bool dequantized_ref) {
  constexpr int kBits = 4, kGroup = 64;
  int64_t M = shape[0], K = shape[1], N = shape[2];
  auto x = make_input({M, K}, tx::float32, 30);
  auto w = make_input({N, K}, tx::float32, 31);
  auto q = std::make_shared<std::vector<array>>(tx::quantize(w->arr, kGroup, kBits));
  tx::eval(*q);
  auto wd = std::make_shared<array>(tx::dequantize((*q)[0], (*q)[1], (*q)[2], kGroup, kBits));
  wd->eval();
  // Host copies of the packed codes, scales and biases for the reference.
  auto words = std::make_shared<std::vector<uint32_t>>((*q)[0].to_vector<uint32_t>());
  auto sc = std::make_shared<std::vector<float>>((*q)[1].to_vector<float>());
  auto bi = std::make_shared<std::vector<float>>((*q)[2].to_vector<float>());
  Bench b;
  if (dequantized_ref) {
    b.step = [x, wd] { return std::vector<array>{tx::matmul(x->arr, tx::transpose(*wd))}; };
  } else {
    b.step = [x, q] {
      return std::vector<array>{
          tx::quantized_matmul(x->arr, (*q)[0], (*q)[1], (*q)[2], true, kGroup, kBits)};
    };
  }
  b.check = [=](std::vector<array>& o) {
    auto got = o[0].to_vector<float>();
    if (got.size() != static_cast<size_t>(M * N)) return Check{false, "wrong output size"};
    Checker c(0, 0);
    const int64_t wpr = K * kBits / 32, gpr = K / kGroup;
    uint64_t s = 5;
    for (int t = 0; t < 256; ++t) {
      int64_t i = splitmix64(s) % M, j = splitmix64(s) % N;
      double ref = 0, mag = 0;
      for (int64_t k = 0; k < K; ++k) {
        uint32_t code = ((*words)[j * wpr + k / 8] >> (4 * (k % 8))) & 15u;
        double wv = double((*sc)[j * gpr + k / kGroup]) * code + (*bi)[j * gpr + k / kGroup];
        double term = double(x->host[i * K + k]) * wv;
        ref += term;
        mag += std::abs(term);
      }
      c.add(got[i * N + j], ref, dot_tol(tx::float32, ref, mag), i * N + j);
    }
    return c.result();
  };
  b.flops = 2.0 * M * N * K;
  b.bytes = dequantized_ref ? 4.0 * N * K : N * K * kBits / 8.0 + 2.0 * 4 * N * (K / kGroup);
  b.note = dequantized_ref
               ? "float32 matmul with the dequantized W (x @ W^T); bytes = W read once"
               : "quantized_matmul 4-bit, group 64, transpose (x @ W^T); bytes = packed "
                 "W + scales + biases read once";
  return b;
}

// ============================== the registry ==============================

void add_product_cases(std::vector<Case>& c) {
  using tx::bfloat16;
  using tx::float32;
  // matmul shapes: {M, K, N} or {batch, M, K, N}
  c.push_back({"matmul_8192_bf16",
               "bfloat16",
               {8192, 8192, 8192},
               {1024, 1024, 1024},
               false,
               [](const Dims& s) { return bench_matmul(s, bfloat16); }});
  c.push_back({"matmul_4096_bf16",
               "bfloat16",
               {4096, 4096, 4096},
               {512, 512, 512},
               false,
               [](const Dims& s) { return bench_matmul(s, bfloat16); }});
  c.push_back({"matmul_4096_fp32",
               "float32",
               {4096, 4096, 4096},
               {1024, 1024, 1024},
               false,
               [](const Dims& s) { return bench_matmul(s, float32); }});
  c.push_back({"matmul_1024_fp32",
               "float32",
               {1024, 1024, 1024},
               {256, 256, 256},
               false,
               [](const Dims& s) { return bench_matmul(s, float32); }});
  c.push_back({"bmm_64x256x256_fp32",
               "float32",
               {64, 256, 256, 256},
               {64, 128, 128, 128},
               false,
               [](const Dims& s) { return bench_matmul(s, float32); }});
  c.push_back(
      {"gemv_8192x8192_bf16", "bfloat16", {8192, 8192}, {4096, 4096}, false, [](const Dims& s) {
         return bench_gemv(s);
       }});
  // conv2d: {N, H, W, C, O, KH, KW}
  c.push_back({"conv2d_n64c256hw56k3_bf16_nhwc",
               "bfloat16",
               {64, 56, 56, 256, 256, 3, 3},
               {4, 28, 28, 64, 64, 3, 3},
               false,
               [](const Dims& s) { return bench_conv2d(s); }});
  // Tandem against direct BLAS calls in the same process (issue #3's criteria). The CPU sizes
  // are the full sizes: the criteria are stated at these sizes.
  c.push_back({"matmul_1024_fp32_vs_sgemm",
               "float32",
               {1024, 1024, 1024},
               {1024, 1024, 1024},
               false,
               bench_matmul_vs_sgemm});
  c.push_back({"gemv_4096x4096_fp32_vs_sgemv",
               "float32",
               {4096, 4096},
               {4096, 4096},
               false,
               bench_gemv_vs_sgemv});
  c.push_back({"conv2d_n8c64hw56k3_fp32_nhwc_vs_im2col",
               "float32",
               {8, 56, 56, 64, 64, 3, 3},
               {8, 56, 56, 64, 64, 3, 3},
               false,
               bench_conv2d_vs_im2col});
  // attention: {B, H, Lq, Lk, D}
  c.push_back({"sdpa_b4h32l2048d128_bf16",
               "bfloat16",
               {4, 32, 2048, 2048, 128},
               {1, 8, 512, 512, 64},
               false,
               [](const Dims& s) { return bench_sdpa(s, false); }});
  c.push_back({"sdpa_b4h32l2048d128_bf16_causal",
               "bfloat16",
               {4, 32, 2048, 2048, 128},
               {1, 8, 512, 512, 64},
               false,
               [](const Dims& s) { return bench_sdpa(s, true); }});
  c.push_back({"sdpa_decode_q1_kv4096_bf16",
               "bfloat16",
               {1, 32, 1, 4096, 128},
               {1, 8, 1, 4096, 128},
               false,
               [](const Dims& s) { return bench_sdpa(s, false); }});
  // quantized matmul: {M, K, N}; the same size on the CPU (a 4096 x 4096 weight is small)
  for (int64_t m : {1, 64}) {
    std::string ms = std::to_string(m);
    c.push_back({"qmm_q4g64_m" + ms + "_4096x4096_fp32",
                 "float32",
                 {m, 4096, 4096},
                 {m, 4096, 4096},
                 false,
                 [](const Dims& s) { return bench_qmm(s, false); }});
    c.push_back({"qmm_ref_dequant_matmul_m" + ms + "_4096x4096_fp32",
                 "float32",
                 {m, 4096, 4096},
                 {m, 4096, 4096},
                 false,
                 [](const Dims& s) { return bench_qmm(s, true); }});
  }
}

}  // namespace tandem_bench
