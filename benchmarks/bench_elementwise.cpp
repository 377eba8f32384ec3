// Copyright © 2026 Tandem authors.
// Benchmark cases: elementwise ops, reductions, softmax, norms, per-op host overhead and
// host <-> device transfers.
#include "bench_common.h"

namespace tandem_bench {

// ============================== elementwise and reductions ==============================

constexpr double kSqrtHalf = 0.70710678118654752440;

/// GELU, erf form (as torch.nn.functional.gelu's default), in the input's dtype.
array gelu(const array& x) {
  auto dt = x.dtype();
  return x * (scalar(1.0, dt) + tx::erf(x * scalar(kSqrtHalf, dt))) * scalar(0.5, dt);
}
double gelu_ref(double x) {
  return 0.5 * x * (1.0 + std::erf(x * kSqrtHalf));
}

Check check_elementwise(const array& out, const std::vector<float>& ref, double atol, double rtol) {
  array o = out;
  auto got = o.to_vector<float>();
  Checker c(atol, rtol);
  if (got.size() != ref.size()) return {false, "wrong output size"};
  for (size_t i = 0; i < got.size(); ++i)
    c(got[i], ref[i], i);
  return c.result();
}

Bench bench_copy(const Dims& shape) {
  auto x = make_input(shape, tx::float32, 1);
  Bench b;
  b.step = [x] { return std::vector<array>{tx::copy(x->arr)}; };
  b.check = [x](std::vector<array>& o) { return check_elementwise(o[0], x->host, 0, 0); };
  b.bytes = 2.0 * numel(shape) * 4;
  b.note = "bytes = read + written";
  return b;
}

Bench bench_fma(const Dims& shape) {
  auto a = make_input(shape, tx::float32, 2), bb = make_input(shape, tx::float32, 3),
       c = make_input(shape, tx::float32, 4);
  Bench b;
  b.step = [a, bb, c] { return std::vector<array>{a->arr * bb->arr + c->arr}; };
  b.check = [a, bb, c](std::vector<array>& o) {
    std::vector<float> ref(a->host.size());
    for (size_t i = 0; i < ref.size(); ++i)
      ref[i] = a->host[i] * bb->host[i] + c->host[i];
    return check_elementwise(o[0], ref, 1e-6, 1e-6);
  };
  b.bytes = 4.0 * numel(shape) * 4;
  b.note = "bytes = 3 inputs + 1 output (minimal traffic; two kernels move 5 arrays)";
  return b;
}

Bench bench_gelu(const Dims& shape) {
  auto x = make_input(shape, tx::bfloat16, 5, -4.f, 4.f);
  Bench b;
  b.step = [x] { return std::vector<array>{gelu(x->arr)}; };
  b.check = [x](std::vector<array>& o) {
    std::vector<float> ref(x->host.size());
    for (size_t i = 0; i < ref.size(); ++i)
      ref[i] = gelu_ref(x->host[i]);
    return check_elementwise(o[0], ref, 2e-2, 2e-2);
  };
  b.bytes = 2.0 * numel(shape) * 2;
  b.note = "composed: x*(1+erf(x/sqrt2))*0.5 in bf16";
  return b;
}

Bench bench_chain(const Dims& shape) {
  auto u = make_input(shape, tx::bfloat16, 6, -3.f, 3.f), v = make_input(shape, tx::bfloat16, 7);
  Bench b;
  b.step = [u, v] {
    auto dt = tx::bfloat16;
    return std::vector<array>{tx::tanh(gelu(u->arr) * v->arr + scalar(1.0, dt)) * scalar(0.5, dt)};
  };
  b.check = [u, v](std::vector<array>& o) {
    std::vector<float> ref(u->host.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      ref[i] = 0.5 * std::tanh(gelu_ref(u->host[i]) * v->host[i] + 1.0);
    }
    return check_elementwise(o[0], ref, 3e-2, 2e-2);
  };
  b.bytes = 3.0 * numel(shape) * 2;
  b.note = "tanh(gelu(u)*v+1)*0.5, as torch_baseline.py's chain; bytes = 2 inputs + 1 output";
  return b;
}

Bench bench_sum(const Dims& shape, int axis) {
  auto x = make_input(shape, tx::float32, 8);
  int64_t rows = shape[0], cols = shape[1];
  Bench b;
  b.step = [x, axis] { return std::vector<array>{tx::sum(x->arr, axis)}; };
  b.check = [x, axis, rows, cols](std::vector<array>& o) {
    auto got = o[0].to_vector<float>();
    int64_t n_out = axis == 0 ? cols : rows;
    if (static_cast<int64_t>(got.size()) != n_out) return Check{false, "wrong output size"};
    std::vector<double> ref(n_out, 0.0), mag(n_out, 0.0);
    for (int64_t i = 0; i < rows; ++i) {
      const float* r = x->host.data() + i * cols;
      for (int64_t j = 0; j < cols; ++j) {
        int64_t k = axis == 0 ? j : i;
        ref[k] += r[j];
        mag[k] += std::abs(r[j]);
      }
    }
    Checker c(0, 0);
    for (int64_t k = 0; k < n_out; ++k)
      c.add(got[k], ref[k], 5e-5 * mag[k] + 1e-6, k);
    return c.result();
  };
  b.bytes = 1.0 * numel(shape) * 4;
  b.note = "bytes = input read";
  return b;
}

// Row-wise reference check for [rows, cols] outputs: `ref_row(r, out)` fills one row.
Check check_rows(const array& out, int64_t rows, int64_t cols,
                 const std::function<void(int64_t, std::vector<double>&)>& ref_row, double atol,
                 double rtol) {
  array o = out;
  auto got = o.to_vector<float>();
  if (static_cast<int64_t>(got.size()) != rows * cols) return {false, "wrong output size"};
  Checker c(atol, rtol);
  std::vector<double> ref(cols);
  for (int64_t r : sample_rows(rows, 64)) {
    ref_row(r, ref);
    for (int64_t j = 0; j < cols; ++j)
      c(got[r * cols + j], ref[j], r * cols + j);
  }
  return c.result();
}

Bench bench_softmax(const Dims& shape) {
  auto x = make_input(shape, tx::bfloat16, 9, -4.f, 4.f);
  int64_t rows = shape[0], cols = shape[1];
  Bench b;
  b.step = [x] { return std::vector<array>{tx::softmax(x->arr, -1, /*precise=*/true)}; };
  b.check = [x, rows, cols](std::vector<array>& o) {
    return check_rows(
        o[0], rows, cols,
        [&](int64_t r, std::vector<double>& ref) {
          const float* p = x->host.data() + r * cols;
          double m = *std::max_element(p, p + cols), z = 0;
          for (int64_t j = 0; j < cols; ++j)
            z += std::exp(p[j] - m);
          for (int64_t j = 0; j < cols; ++j)
            ref[j] = std::exp(p[j] - m) / z;
        },
        1e-7, 1e-2);
  };
  b.bytes = 2.0 * numel(shape) * 2;
  b.note = "softmax(precise=true) over the last axis; bytes = read + written";
  return b;
}

constexpr double kNormEps = 1e-5;

Bench bench_norm(const Dims& shape, bool rms) {
  int64_t rows = shape[0], cols = shape[1];
  auto x = make_input(shape, tx::bfloat16, 10, -3.f, 5.f);  // non-zero mean on purpose
  auto w = make_input({cols}, tx::bfloat16, 11, 0.5f, 1.5f);
  auto bias = make_input({cols}, tx::bfloat16, 12, -0.5f, 0.5f);
  Bench b;
  b.step = [x, w, bias, rms] {
    return std::vector<array>{rms ? tx::fast::rms_norm(x->arr, w->arr, kNormEps)
                                  : tx::fast::layer_norm(x->arr, w->arr, bias->arr, kNormEps)};
  };
  b.check = [x, w, bias, rms, rows, cols](std::vector<array>& o) {
    return check_rows(
        o[0], rows, cols,
        [&](int64_t r, std::vector<double>& ref) {
          const float* p = x->host.data() + r * cols;
          double mu = 0, ss = 0;
          if (!rms) {
            for (int64_t j = 0; j < cols; ++j)
              mu += p[j];
            mu /= cols;
          }
          for (int64_t j = 0; j < cols; ++j)
            ss += (p[j] - mu) * (p[j] - mu);
          double inv = 1.0 / std::sqrt(ss / cols + kNormEps);
          for (int64_t j = 0; j < cols; ++j) {
            ref[j] = (p[j] - mu) * inv * w->host[j] + (rms ? 0.0 : bias->host[j]);
          }
        },
        2e-2, 1e-2);
  };
  b.bytes = 2.0 * numel(shape) * 2;
  b.note = rms ? "fast::rms_norm (fused), float32 statistics; bytes = read + written"
               : "fast::layer_norm (fused), float32 statistics; bytes = read + written";
  return b;
}

Bench bench_tiny_adds(const Dims& shape) {
  auto t = make_input(shape, tx::float32, 13);
  constexpr int kOps = 1000;
  array one(1.0f);
  Bench b;
  b.step = [t, one] {
    array u = t->arr;
    for (int i = 0; i < kOps; ++i)
      u = u + one;
    return std::vector<array>{u};
  };
  b.check = [t](std::vector<array>& o) {
    std::vector<float> ref = t->host;
    for (auto& v : ref) {
      for (int i = 0; i < kOps; ++i)
        v += 1.0f;
    }
    return check_elementwise(o[0], ref, 1e-4, 1e-6);
  };
  b.ops_per_step = kOps;
  b.note = "1000 dependent adds of a 16-element array: graph building + eval, per op";
  return b;
}

// ============================== host <-> device transfers ==============================

// shape = {n}: n float32 values go host -> device -> host each step. The upload: a GPU copy
// kernel reads a host-resident array (its device copy is stale), which the CUDA backend moves
// through its pinned staging ring. The download: a reshape on the CPU is a view, so its CPU
// "kernel" needs the GPU result's bytes on the host and nothing more; the GPU result is then
// held by nothing but the view, so the backend drops its device copy, and the next step's upload
// of the view is a real one again. Bytes = both transfers; the on-device copy in between
// (~0.2 ms at 256 MiB on an H100) is inside the timed step.
Bench bench_h2d_d2h(const Dims& shape) {
  if (tx::default_device().type != tx::Device::gpu) {
    throw Unsupported{"host <-> device transfers need a GPU (--device gpu)"};
  }
  const int64_t n = int64_t(numel(shape));
  if (n % 1024 != 0) throw std::logic_error("bench_h2d_d2h: n must be a multiple of 1024");
  auto x = make_input(shape, tx::float32, 14);
  auto cur = std::make_shared<array>(x->arr);  // host-resident: made on the host
  auto flat = std::make_shared<bool>(true);
  Bench b;
  b.step = [cur, flat, n] {
    *flat = !*flat;
    const tx::Shape next = *flat ? tx::Shape{int(n)} : tx::Shape{int(n / 1024), 1024};
    // The GPU copy stays unnamed, so that only the view holds it when the view runs.
    array r = tx::reshape(tx::copy(*cur, tx::Device::gpu), next, tx::Device::cpu);
    *cur = r;
    return std::vector<array>{r};
  };
  b.check = [x](std::vector<array>& o) { return check_elementwise(o[0], x->host, 0, 0); };
  b.bytes = 2.0 * n * 4;
  b.note =
      "host->device upload + device->host download of a float32 array; bytes = both "
      "transfers (one on-device copy in between)";
  return b;
}

// ============================== the registry ==============================

void add_elementwise_cases(std::vector<Case>& c) {
  using tx::bfloat16;
  using tx::float32;
  // name, dtype, full-size shape, CPU-size shape, in scaling mode, factory
  c.push_back({"copy_1GiB_fp32", "float32", {1LL << 28}, {1LL << 24}, true, bench_copy});
  c.push_back({"fma_fp32_64M", "float32", {1LL << 26}, {1LL << 23}, true, bench_fma});
  c.push_back({"gelu_bf16_64M", "bfloat16", {1LL << 26}, {1LL << 22}, true, bench_gelu});
  c.push_back({"chain_bf16_64M", "bfloat16", {1LL << 26}, {1LL << 22}, true, bench_chain});
  c.push_back({"sum_lastaxis_8192x8192_fp32",
               "float32",
               {8192, 8192},
               {4096, 4096},
               true,
               [](const Dims& s) { return bench_sum(s, -1); }});
  c.push_back(
      {"sum_axis0_8192x8192_fp32", "float32", {8192, 8192}, {4096, 4096}, true, [](const Dims& s) {
         return bench_sum(s, 0);
       }});
  c.push_back(
      {"softmax_4096x32000_bf16", "bfloat16", {4096, 32000}, {256, 32000}, true, bench_softmax});
  c.push_back(
      {"layernorm_8192x4096_bf16", "bfloat16", {8192, 4096}, {1024, 4096}, true, [](const Dims& s) {
         return bench_norm(s, false);
       }});
  c.push_back(
      {"rmsnorm_8192x4096_bf16", "bfloat16", {8192, 4096}, {1024, 4096}, true, [](const Dims& s) {
         return bench_norm(s, true);
       }});
  c.push_back({"tiny_add_x1000", "float32", {16}, {16}, false, bench_tiny_adds});
  // host -> device -> host round trip of {n} float32 values (GPU only)
  c.push_back({"h2d_d2h_256MiB_fp32", "float32", {1LL << 26}, {1LL << 24}, false, bench_h2d_d2h});
}

}  // namespace tandem_bench
