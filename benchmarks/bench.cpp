// Copyright © 2026 Tandem authors.
// The Tandem benchmark suite (DESIGN §7): a fixed registry of cases run on one device, one JSON
// line per case on stdout (progress and notes go to stderr).
//
//   tandem_bench [--device cpu|gpu] [--size cpu|full] [--filter SUBSTR] [--repeats N]
//                [--warmup N] [--threads N] [--budget SECONDS] [--scaling] [--list]
//
// Every case builds its inputs once, runs a warm-up (the first warm-up result is checked against a
// plain host reference, so a fast wrong kernel cannot look good), then times `repeats` runs of
// "build the graph + eval + synchronize" with std::chrono::steady_clock and reports the median.
// Cases whose ops the library does not have yet print "status":"unsupported" with the reason; they
// are written against MLX's API behind compile-time detection (see `HasMatmul` below) and start
// running, unchanged, once the op is declared in include/tandem/.
//
// --size cpu (the default on the CPU) runs the same cases on shapes sized for a laptop; their names
// get the suffix "_cpu" and the "shape" field says what was run.
// --scaling runs the elementwise and reduction cases with 1 thread and with all threads.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "backend/cpu/threading.h"  // tandem::cpu::set_num_threads (internal header)
#include "gpt.h"                    // examples/gpt.h: the GPT of the gpt2 case
#include "tandem/tandem.h"

namespace tx = tandem;
using tx::array;
using Dims = std::vector<int64_t>;

namespace {

// ============================== options ==============================

struct Options {
  tx::Device device{tx::Device::cpu};
  bool full = false;
  std::string filter;
  int repeats = -1;  // -1: per-device default
  int warmup = -1;
  int threads = 0;       // 0: leave the pool as it is
  double budget_s = -1;  // stop timing a case after this many seconds (at least 3 runs)
  bool scaling = false;
  bool list = false;
};

[[noreturn]] void usage(const std::string& err) {
  if (!err.empty()) std::cerr << "tandem_bench: " << err << "\n";
  std::cerr << "usage: tandem_bench [--device cpu|gpu] [--size cpu|full] [--filter SUBSTR]\n"
               "                    [--repeats N] [--warmup N] [--threads N] [--budget SECONDS]\n"
               "                    [--scaling] [--list]\n";
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  std::string size;
  bool device_gpu = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      auto eq = a.find('=');
      if (eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    auto key = a.substr(0, a.find('='));
    if (key == "--device") {
      std::string v = value();
      if (v != "cpu" && v != "gpu") usage("--device must be cpu or gpu, got '" + v + "'");
      device_gpu = v == "gpu";
    } else if (key == "--size") {
      size = value();
      if (size != "cpu" && size != "full") usage("--size must be cpu or full, got '" + size + "'");
    } else if (key == "--filter") {
      o.filter = value();
    } else if (key == "--repeats") {
      o.repeats = std::atoi(value().c_str());
      if (o.repeats < 1) usage("--repeats must be at least 1");
    } else if (key == "--warmup") {
      o.warmup = std::atoi(value().c_str());
      if (o.warmup < 1) usage("--warmup must be at least 1 (the first run is checked)");
    } else if (key == "--threads") {
      o.threads = std::atoi(value().c_str());
      if (o.threads < 1) usage("--threads must be at least 1");
    } else if (key == "--budget") {
      o.budget_s = std::atof(value().c_str());
    } else if (a == "--scaling") {
      o.scaling = true;
    } else if (a == "--list") {
      o.list = true;
    } else if (a == "-h" || a == "--help") {
      usage("");
    } else {
      usage("unknown argument '" + a + "'");
    }
  }
  o.device = device_gpu ? tx::Device(tx::Device::gpu) : tx::Device(tx::Device::cpu);
  o.full = size.empty() ? device_gpu : size == "full";
  if (o.repeats < 0) o.repeats = device_gpu ? 30 : 10;
  if (o.warmup < 0) o.warmup = device_gpu ? 5 : 1;
  if (o.budget_s < 0) o.budget_s = device_gpu ? 10.0 : 2.0;
  return o;
}

// ============================== JSON output ==============================

std::string json_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    switch (c) {
      case '"':
        r += "\\\"";
        break;
      case '\\':
        r += "\\\\";
        break;
      case '\n':
        r += "\\n";
        break;
      case '\t':
        r += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          r += buf;
        } else {
          r += c;
        }
    }
  }
  return r;
}

// Builds one flat JSON object, keys in insertion order.
class JsonLine {
 public:
  JsonLine& str(const std::string& k, const std::string& v) {
    return raw(k, "\"" + json_escape(v) + "\"");
  }
  JsonLine& num(const std::string& k, double v, int digits = 4) {
    if (!std::isfinite(v)) return raw(k, "null");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return raw(k, buf);
  }
  JsonLine& integer(const std::string& k, long long v) { return raw(k, std::to_string(v)); }
  JsonLine& dims(const std::string& k, const Dims& d) {
    std::string s = "[";
    for (size_t i = 0; i < d.size(); ++i) {
      if (i) s += ',';
      s += std::to_string(d[i]);
    }
    return raw(k, s + "]");
  }
  std::string done() const { return "{" + body_ + "}"; }

 private:
  JsonLine& raw(const std::string& k, const std::string& v) {
    if (!body_.empty()) body_ += ", ";
    body_ += "\"" + json_escape(k) + "\": " + v;
    return *this;
  }
  std::string body_;
};

// ============================== inputs ==============================

uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// An input array and the exact values it holds (after rounding to its dtype), for references.
struct Input {
  array arr;
  std::vector<float> host;
};
using InputPtr = std::shared_ptr<const Input>;

tx::Shape to_shape(const Dims& d) {
  return tx::Shape(d.begin(), d.end());
}
size_t numel(const Dims& d) {
  size_t n = 1;
  for (auto x : d)
    n *= static_cast<size_t>(x);
  return n;
}

// Uniform values in [lo, hi) from a fixed seed, stored as `dtype` (float32 or bfloat16).
InputPtr make_input(const Dims& shape, tx::Dtype dtype, uint64_t seed, float lo = -1.7320508f,
                    float hi = 1.7320508f) {
  size_t n = numel(shape);
  std::vector<float> host(n);
  uint64_t s = seed * 0x632be59bd9b4e019ULL + 1;
  for (size_t i = 0; i < n; ++i) {
    float u = static_cast<float>(splitmix64(s) >> 40) * 0x1p-24f;
    host[i] = lo + (hi - lo) * u;
  }
  if (dtype == tx::bfloat16) {
    std::vector<tx::bfloat16_t> b(n);
    for (size_t i = 0; i < n; ++i) {
      b[i] = tx::bfloat16_t(host[i]);
      host[i] = static_cast<float>(b[i]);
    }
    array a(b, to_shape(shape), tx::bfloat16);
    return std::make_shared<const Input>(Input{std::move(a), std::move(host)});
  }
  if (dtype != tx::float32) throw std::logic_error("make_input: float32 or bfloat16 only");
  array a(host, to_shape(shape), tx::float32);
  return std::make_shared<const Input>(Input{std::move(a), std::move(host)});
}

/// A 0-d array of `dtype`: a C++ scalar operand is a 0-d array of its own type (DESIGN §3), so
/// `bf16_array * 0.5` would promote to float32; the cases keep scalars in the data's dtype.
array scalar(double v, tx::Dtype dtype) {
  return array(static_cast<float>(v), dtype);
}

// ============================== result checks ==============================

struct Check {
  bool ok = true;
  std::string detail;
};

// Accumulates |got - ref| <= atol + rtol * |ref| over checked values.
class Checker {
 public:
  Checker(double atol, double rtol) : atol_(atol), rtol_(rtol) {}
  void operator()(double got, double ref, size_t where) {
    add(got, ref, atol_ + rtol_ * std::abs(ref), where);
  }
  // With an explicit tolerance (e.g. scaled by the sum of |terms| of a dot product).
  void add(double got, double ref, double tol, size_t where) {
    ++count_;
    double err = std::abs(got - ref);
    if (!(err <= tol)) {  // NaN fails too
      if (bad_ == 0) {
        std::ostringstream os;
        os << "first mismatch at flat index " << where << ": got " << got << ", expected " << ref;
        first_ = os.str();
      }
      ++bad_;
    }
    if (std::isfinite(err)) max_err_ = std::max(max_err_, err);
  }
  Check result() const {
    std::ostringstream os;
    os << "checked " << count_ << " values, max_abs_err " << max_err_;
    if (bad_) os << "; " << bad_ << " outside tolerance; " << first_;
    if (count_ == 0) return {false, "nothing was checked"};
    return {bad_ == 0, os.str()};
  }

 private:
  double atol_, rtol_;
  size_t count_ = 0, bad_ = 0;
  double max_err_ = 0;
  std::string first_;
};

// Indices of up to `k` rows spread over [0, rows), first and last included.
std::vector<int64_t> sample_rows(int64_t rows, int64_t k) {
  std::vector<int64_t> r;
  if (rows <= k) {
    for (int64_t i = 0; i < rows; ++i)
      r.push_back(i);
    return r;
  }
  for (int64_t i = 0; i < k; ++i)
    r.push_back(i * (rows - 1) / (k - 1));
  return r;
}

// ============================== the case interface ==============================

/// What a case hands the runner: how to build one step's graph, how to check its first result,
/// and the work per step for the derived rate.
struct Bench {
  std::function<std::vector<array>()> step;
  std::function<Check(std::vector<array>&)> check;
  std::function<Check()> final_check;  // optional, after timing (e.g. the loss went down)
  double bytes = 0;                    // > 0: report GB/s
  double flops = 0;                    // > 0: report TFLOP/s
  double ops_per_step = 0;             // > 0: report microseconds per op
  double tokens = 0;                   // > 0: report tokens per second (training cases)
  std::string note;
  // Optional: the same computation done directly (e.g. a cblas_sgemm call) in this process. It is
  // timed interleaved with `step` and reported as baseline_* with the ratio of the two rates.
  std::function<void()> baseline;
  std::string baseline_name;
  std::function<Check()> baseline_check;  // run after the first baseline run
};

/// Thrown by a case whose ops this build does not have.
struct Unsupported {
  std::string reason;
};

struct Case {
  std::string name;  // the full-size name; CPU-sized runs append "_cpu"
  std::string dtype;
  Dims full, cpu;  // shapes (meaning per case, documented in README)
  bool scaling;    // part of the thread-scaling mode
  std::function<Bench(const Dims&)> make;
};

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

// ============================== cases that need ops still to come ==============================
// Written against MLX's C++ API. Each is a template on the array type so that the calls below are
// dependent expressions: `if constexpr` discards them unless the op is declared, and the case
// reports "unsupported" until then. TODO(matmul, conv2d, value_and_grad): nothing to do here when
// those land; check that the cases run and pass their checks.

template <typename A>
concept HasMatmul = requires(const A& a) {
  matmul(a, a);
};
template <typename A>
concept HasConv2d = requires(const A& a) {
  conv2d(a, a, std::pair<int, int>{1, 1}, std::pair<int, int>{1, 1});
};
template <typename A>
concept HasValueAndGrad = HasMatmul<A> &&
    requires(std::function<A(const std::vector<A>&)> f, std::vector<A> p) {
  value_and_grad(f, std::vector<int>{0}).operator()(p).second;
};

const char* kNoMatmul = "tandem::matmul is not in this build yet";

// Tolerance for one dot product of bf16 or fp32 inputs, given its sum of |terms|.
double dot_tol(tx::Dtype dt, double ref, double sum_abs) {
  return dt == tx::bfloat16 ? 1e-2 * std::abs(ref) + 5e-4 * sum_abs + 1e-3 : 2e-5 * sum_abs + 1e-6;
}

// shape = {M, K, N}: [M, K] @ [K, N]; or {batch, M, K, N}: [batch, M, K] @ [batch, K, N].
template <typename A = array>
Bench bench_matmul(const Dims& shape, tx::Dtype dt) {
  if constexpr (!HasMatmul<A>) {
    throw Unsupported{kNoMatmul};
  } else {
    size_t r = shape.size();
    int64_t batch = r == 4 ? shape[0] : 0, M = shape[r - 3], K = shape[r - 2], N = shape[r - 1];
    int64_t nb = std::max<int64_t>(batch, 1);
    Dims sa = batch ? Dims{batch, M, K} : Dims{M, K}, sb = batch ? Dims{batch, K, N} : Dims{K, N};
    auto a = make_input(sa, dt, 20), bm = make_input(sb, dt, 21);
    Bench b;
    b.step = [a, bm] { return std::vector<array>{matmul(A(a->arr), A(bm->arr))}; };
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
}

// shape = {N, K}: y[1, N] = v[1, K] @ W[N, K]^T (torch: v @ W.T).
template <typename A = array>
Bench bench_gemv(const Dims& shape) {
  if constexpr (!HasMatmul<A>) {
    throw Unsupported{kNoMatmul};
  } else {
    int64_t N = shape[0], K = shape[1];
    auto w = make_input({N, K}, tx::bfloat16, 22), v = make_input({1, K}, tx::bfloat16, 23);
    Bench b;
    b.step = [w, v] { return std::vector<array>{matmul(A(v->arr), tx::transpose(w->arr))}; };
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
}

// shape = {B, H, Lq, Lk, D}.
template <typename A = array>
Bench bench_sdpa(const Dims& shape, bool causal) {
  if constexpr (!HasMatmul<A>) {
    throw Unsupported{kNoMatmul};
  } else {
    int64_t B = shape[0], H = shape[1], Lq = shape[2], Lk = shape[3], D = shape[4];
    auto q = make_input({B, H, Lq, D}, tx::bfloat16, 24);
    auto k = make_input({B, H, Lk, D}, tx::bfloat16, 25);
    auto v = make_input({B, H, Lk, D}, tx::bfloat16, 26);
    // causal: query i sees keys j <= i + (Lk - Lq) (bottom-right aligned, as torch and MLX).
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
    Bench b;
    b.step = [q, k, v, causal, scale] {
      return std::vector<array>{tx::fast::scaled_dot_product_attention(
          A(q->arr), k->arr, v->arr, scale, causal ? "causal" : "")};
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
}

// shape = {N, H, W, C, O, KH, KW}: NHWC input, OHWI weight, stride 1, same padding.
template <typename A = array>
Bench bench_conv2d(const Dims& shape, tx::Dtype dt = tx::bfloat16) {
  if constexpr (!HasConv2d<A>) {
    throw Unsupported{"tandem::conv2d is not in this build yet"};
  } else {
    int64_t N = shape[0], H = shape[1], W = shape[2], C = shape[3], O = shape[4], KH = shape[5],
            KW = shape[6];
    auto x = make_input({N, H, W, C}, dt, 27);
    auto w = make_input({O, KH, KW, C}, dt, 28);
    int ph = int(KH / 2), pw = int(KW / 2);
    Bench b;
    b.step = [x, w, ph, pw] {
      return std::vector<array>{
          conv2d(A(x->arr), A(w->arr), std::pair<int, int>{1, 1}, std::pair<int, int>{ph, pw})};
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
}

// ============================== Tandem vs. direct BLAS ==============================
// Issue #3's performance criteria compare Tandem with the OpenBLAS it calls, in one process: matmul
// against one cblas_sgemm call, GEMV against one cblas_sgemv call, conv2d against a plain im2col
// (one thread, memcpy per kernel tap) followed by one cblas_sgemm. The baseline runs on the same
// input values, is timed interleaved with the Tandem step, and is checked like it.

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
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(M), int(N), int(K), 1.0f,
                a->host.data(), int(K), bm->host.data(), int(N), 0.0f, out->data(), int(N));
  };
  b.baseline_name = "cblas_sgemm";
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
    cblas_sgemv(CblasRowMajor, CblasNoTrans, int(N), int(K), 1.0f, w->host.data(), int(K),
                v->host.data(), 1, 0.0f, out->data(), 1);
  };
  b.baseline_name = "cblas_sgemv";
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
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(rows), int(O), int(cols), 1.0f,
                col->data(), int(cols), w->host.data(), int(cols), 0.0f, out->data(), int(O));
  };
  b.baseline_name = "im2col+cblas_sgemm";
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

constexpr double kLr = 0.1;

// shape = {batch, in, hidden1, hidden2, classes}: one SGD step of a ReLU MLP with softmax
// cross-entropy, gradients by value_and_grad.
template <typename A = array>
Bench bench_mlp(const Dims& shape) {
  if constexpr (!HasValueAndGrad<A>) {
    throw Unsupported{HasMatmul<A> ? "tandem::value_and_grad is not in this build yet"
                                   : "tandem::matmul and tandem::value_and_grad are not in this "
                                     "build yet"};
  } else {
    int64_t bs = shape[0];
    std::vector<int64_t> width(shape.begin() + 1, shape.end());
    int64_t classes = width.back();
    auto x = make_input({bs, width[0]}, tx::float32, 30);
    // Fixed labels as a one-hot matrix (no gather needed).
    std::vector<float> onehot(bs * classes, 0.f);
    std::vector<int> labels(bs);
    uint64_t s = 31;
    for (int64_t i = 0; i < bs; ++i) {
      labels[i] = int(splitmix64(s) % classes);
      onehot[i * classes + labels[i]] = 1.f;
    }
    auto y = std::make_shared<array>(onehot, tx::Shape{int32_t(bs), int32_t(classes)});
    auto params = std::make_shared<std::vector<array>>();
    std::vector<InputPtr> init;
    for (size_t l = 0; l + 1 < width.size(); ++l) {
      float r = 1.f / std::sqrt(float(width[l]));
      init.push_back(make_input({width[l], width[l + 1]}, tx::float32, 40 + l, -r, r));
      init.push_back(make_input({width[l + 1]}, tx::float32, 50 + l, -r, r));
    }
    for (auto& p : init)
      params->push_back(p->arr);
    std::function<A(const std::vector<A>&)> loss_fn = [x, y](const std::vector<A>& p) {
      A h = x->arr;
      for (size_t l = 0; l < p.size(); l += 2) {
        h = matmul(h, p[l]) + p[l + 1];
        if (l + 2 < p.size()) h = tx::maximum(h, scalar(0.0, tx::float32));
      }
      return tx::mean(tx::logsumexp(h, -1) - tx::sum(h * *y, -1));
    };
    std::vector<int> argnums(params->size());
    for (size_t i = 0; i < argnums.size(); ++i)
      argnums[i] = int(i);
    auto vg = value_and_grad(loss_fn, argnums);
    auto first_loss = std::make_shared<float>(NAN);
    auto last_loss = std::make_shared<std::vector<array>>();
    Bench b;
    b.step = [vg, params, last_loss] {
      auto [loss, grads] = vg(*params);
      std::vector<array> outs{loss};
      for (size_t i = 0; i < params->size(); ++i) {
        (*params)[i] = (*params)[i] - scalar(kLr, tx::float32) * grads[i];
        outs.push_back((*params)[i]);
      }
      *last_loss = {loss};
      return outs;
    };
    b.check = [=](std::vector<array>& o) {
      // The first step starts from the initial parameters: recompute its loss and gradients on
      // the host (forward, manual backward, in double) and compare the loss and the gradients
      // implied by the updated parameters, (initial - updated) / lr.
      size_t layers = width.size() - 1;
      std::vector<std::vector<double>> acts{std::vector<double>(x->host.begin(), x->host.end())};
      for (size_t l = 0; l < layers; ++l) {
        int64_t in = width[l], out = width[l + 1];
        const auto& W = init[2 * l]->host;
        const auto& bb = init[2 * l + 1]->host;
        const auto& h = acts.back();
        std::vector<double> next(bs * out, 0.0);
        for (int64_t i = 0; i < bs; ++i) {
          for (int64_t k = 0; k < in; ++k) {
            double hv = h[i * in + k];
            for (int64_t j = 0; j < out; ++j)
              next[i * out + j] += hv * W[k * out + j];
          }
          for (int64_t j = 0; j < out; ++j) {
            next[i * out + j] += bb[j];
            if (l + 1 < layers) next[i * out + j] = std::max(0.0, next[i * out + j]);
          }
        }
        acts.push_back(std::move(next));
      }
      // Loss, and its gradient with respect to the logits: (softmax - onehot) / batch.
      const auto& logits = acts.back();
      std::vector<double> d(bs * classes);
      double total = 0;
      for (int64_t i = 0; i < bs; ++i) {
        const double* r = logits.data() + i * classes;
        double m = *std::max_element(r, r + classes), z = 0;
        for (int64_t j = 0; j < classes; ++j)
          z += std::exp(r[j] - m);
        total += m + std::log(z) - r[labels[i]];
        for (int64_t j = 0; j < classes; ++j) {
          d[i * classes + j] = (std::exp(r[j] - m) / z - (j == labels[i] ? 1.0 : 0.0)) / bs;
        }
      }
      *first_loss = o[0].item<float>();
      Checker c(1e-4, 1e-4);
      c(*first_loss, total / bs, 0);
      Checker cg(2e-5, 2e-3);
      for (size_t l = layers; l-- > 0;) {
        int64_t in = width[l], out = width[l + 1];
        const auto& a = acts[l];
        std::vector<double> gw(in * out, 0.0), gb(out, 0.0);
        for (int64_t i = 0; i < bs; ++i) {
          for (int64_t k = 0; k < in; ++k) {
            double av = a[i * in + k];
            if (av == 0) continue;
            for (int64_t j = 0; j < out; ++j)
              gw[k * out + j] += av * d[i * out + j];
          }
          for (int64_t j = 0; j < out; ++j)
            gb[j] += d[i * out + j];
        }
        for (int t = 0; t < 2; ++t) {
          const auto& ref = t == 0 ? gw : gb;
          const auto& p0 = init[2 * l + t]->host;
          auto p1 = o[1 + 2 * l + t].to_vector<float>();
          for (size_t e = 0; e < ref.size(); ++e)
            cg((double(p0[e]) - p1[e]) / kLr, ref[e], e);
        }
        if (l > 0) {  // back through W and the ReLU of the layer below
          const auto& W = init[2 * l]->host;
          std::vector<double> dn(bs * in, 0.0);
          for (int64_t i = 0; i < bs; ++i) {
            for (int64_t k = 0; k < in; ++k) {
              if (a[i * in + k] <= 0) continue;
              double sacc = 0;
              for (int64_t j = 0; j < out; ++j)
                sacc += d[i * out + j] * W[k * out + j];
              dn[i * in + k] = sacc;
            }
          }
          d.swap(dn);
        }
      }
      Check loss_check = c.result(), grad_check = cg.result();
      return Check{loss_check.ok && grad_check.ok,
                   "loss: " + loss_check.detail + "; gradients: " + grad_check.detail};
    };
    b.final_check = [first_loss, last_loss] {
      float now = (*last_loss)[0].item<float>();
      std::ostringstream os;
      os << "loss " << *first_loss << " -> " << now;
      return Check{now < *first_loss, os.str()};
    };
    b.note = "SGD lr 0.1 on a fixed batch; loss = mean softmax cross-entropy";
    return b;
  }
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

// ============================== GPT-2 training step ==============================

// shape = {batch, seq, layers, width, heads, vocab}: one AdamW training step of the GPT of
// examples/gpt.h (GPT-2 small: 12 layers, width 768, 12 heads, vocabulary 50257, context =
// seq), float32, on a fixed batch of random tokens: forward, nn::value_and_grad, update.
Bench bench_gpt2(const Dims& shape) {
  gpt::Config cfg;
  const int B = int(shape[0]), T = int(shape[1]);
  cfg.context = T;
  cfg.n_layer = int(shape[2]);
  cfg.n_embd = int(shape[3]);
  cfg.n_head = int(shape[4]);
  cfg.vocab_size = int(shape[5]);
  auto model = std::make_shared<gpt::GPT>(cfg, 0);
  auto opt =
      std::make_shared<tx::optimizers::AdamW>(3e-4f, std::vector<float>{0.9f, 0.95f}, 1e-8f, 0.1f);
  // Random tokens; the targets are the inputs shifted by one, as in language modelling.
  std::vector<int32_t> tok(size_t(B) * (T + 1));
  uint64_t s = 77;
  for (auto& t : tok)
    t = int32_t(splitmix64(s) % uint64_t(cfg.vocab_size));
  std::vector<int32_t> xs, ys;
  for (int b = 0; b < B; ++b) {
    xs.insert(xs.end(), tok.begin() + b * (T + 1), tok.begin() + b * (T + 1) + T);
    ys.insert(ys.end(), tok.begin() + b * (T + 1) + 1, tok.begin() + (b + 1) * (T + 1));
  }
  auto x = std::make_shared<array>(xs, tx::Shape{B, T}, tx::int32);
  auto y = std::make_shared<array>(ys, tx::Shape{B, T}, tx::int32);
  // The loss of the initial parameters by a plain forward pass: the first step's value must
  // match it (and sit near log(vocab), the loss of a near-uniform prediction).
  double ref_loss = model->loss(*x, *y).item<float>();
  auto vg = std::make_shared<tx::nn::ModuleValueAndGradFn>(tx::nn::value_and_grad(
      *model, [m = model.get()](const std::vector<array>& in) { return m->loss(in[0], in[1]); }));
  auto first_loss = std::make_shared<float>(NAN);
  auto last_loss = std::make_shared<std::vector<array>>();
  Bench b;
  b.step = [model, opt, vg, x, y, last_loss] {
    auto [loss, grads] = (*vg)({*x, *y});
    opt->update(*model, grads);
    std::vector<array> outs{loss};
    for (auto& p : model->parameters().leaves())
      outs.push_back(p);
    for (auto& p : opt->state().leaves())
      outs.push_back(p);
    *last_loss = {loss};
    return outs;
  };
  b.check = [=](std::vector<array>& o) {
    *first_loss = o[0].item<float>();
    double uniform = std::log(double(cfg.vocab_size));
    std::ostringstream os;
    os << "first loss " << *first_loss << " vs forward " << ref_loss << " (log vocab " << uniform
       << ")";
    bool ok = std::abs(*first_loss - ref_loss) <= 1e-4 * std::abs(ref_loss) + 1e-4 &&
              std::abs(ref_loss - uniform) < 1.0;
    return Check{ok, os.str()};
  };
  b.final_check = [first_loss, last_loss] {
    float now = (*last_loss)[0].item<float>();
    std::ostringstream os;
    os << "loss " << *first_loss << " -> " << now;
    return Check{now < *first_loss, os.str()};
  };
  b.flops = cfg.train_flops_per_token(T) * B * T;
  b.tokens = double(B) * T;
  std::ostringstream note;
  note << "AdamW step of examples/gpt.h, fp32, " << cfg.num_params() / 1e6
       << "M parameters (tied head); flops = 6 x matmul weights + attention per token";
  b.note = note.str();
  return b;
}

// ============================== the registry ==============================

std::vector<Case> make_cases() {
  using tx::bfloat16;
  using tx::float32;
  std::vector<Case> c;
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
  c.push_back({"tiny_add_x1000", "float32", {16}, {16}, false, bench_tiny_adds});
  // host -> device -> host round trip of {n} float32 values (GPU only)
  c.push_back({"h2d_d2h_256MiB_fp32", "float32", {1LL << 26}, {1LL << 24}, false, bench_h2d_d2h});
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
  // MLP: {batch, in, hidden, hidden, classes}
  c.push_back({"mlp_train_step_b256",
               "float32",
               {256, 784, 512, 512, 10},
               {256, 784, 512, 512, 10},
               false,
               [](const Dims& s) { return bench_mlp(s); }});
  // GPT-2 small training step: {batch, seq, layers, width, heads, vocab}. The CPU size keeps the
  // shape's proportions at a fraction of the work (about 35 GFLOP per step).
  c.push_back({"gpt2_small_train_step_b8_s1024_fp32",
               "float32",
               {8, 1024, 12, 768, 12, 50257},
               {4, 256, 4, 256, 4, 8192},
               false,
               bench_gpt2});
  return c;
}

// ============================== the runner ==============================

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Timing {
  double median_ms = NAN, min_ms = NAN;
  int reps = 0;
};

// One step: build the graph, evaluate it, wait for the device. Returns the outputs.
std::vector<array> run_step(Bench& b) {
  auto outs = b.step();
  tx::eval(outs);
  tx::synchronize();
  return outs;
}

Timing summarize(std::vector<double> ts) {
  std::sort(ts.begin(), ts.end());
  Timing t;
  t.reps = static_cast<int>(ts.size());
  size_t m = ts.size() / 2;
  t.median_ms = ts.size() % 2 ? ts[m] : 0.5 * (ts[m - 1] + ts[m]);
  t.min_ms = ts.front();
  return t;
}

// Times `repeats` steps (fewer once the budget is spent and 3 are done). With `thread_counts`,
// each repetition runs once per thread count, interleaved, so that drifting background load on
// a shared machine affects every count alike; returns one Timing per count.
std::vector<Timing> time_steps(Bench& b, const Options& o, const std::vector<int>& thread_counts) {
  size_t k = std::max<size_t>(thread_counts.size(), 1);
  std::vector<std::vector<double>> ts(k);
  double start = now_ms();
  for (int r = 0; r < o.repeats; ++r) {
    for (size_t i = 0; i < k; ++i) {
      if (!thread_counts.empty()) tx::cpu::set_num_threads(thread_counts[i]);
      double t0 = now_ms();
      auto outs = run_step(b);
      double t1 = now_ms();
      outs.clear();  // freed outside the timed region
      ts[i].push_back(t1 - t0);
    }
    if (r + 1 >= 3 && now_ms() - start > o.budget_s * 1e3 * k) break;
  }
  std::vector<Timing> out;
  for (auto& v : ts)
    out.push_back(summarize(std::move(v)));
  return out;
}

Timing time_steps(Bench& b, const Options& o) {
  return time_steps(b, o, {})[0];
}

std::string device_name(const tx::Device& d) {
  return d.type == tx::Device::cpu ? "cpu" : "gpu";
}

struct Reporter {
  const Options& o;
  int failures = 0;

  JsonLine head(const Case& c, const Dims& shape, const std::string& name) const {
    JsonLine j;
    j.str("name", name).str("device", device_name(o.device)).str("dtype", c.dtype);
    j.dims("shape", shape);
    return j;
  }

  void emit(const JsonLine& j) const {
    std::cout << j.done() << "\n";
    std::cout.flush();
  }

  void add_timing(JsonLine& j, const Bench& b, const Timing& t, int threads) const {
    j.num("median_ms", t.median_ms).num("min_ms", t.min_ms).integer("reps", t.reps);
    j.integer("warmup", o.warmup).integer("threads", threads);
    if (b.bytes > 0) j.num("gbps", b.bytes / (t.median_ms * 1e6), 2);
    if (b.flops > 0) j.num("tflops", b.flops / (t.median_ms * 1e9), 4);
    if (b.ops_per_step > 0) j.num("us_per_op", t.median_ms * 1e3 / b.ops_per_step, 3);
    if (b.tokens > 0) j.num("tokens_per_s", b.tokens / (t.median_ms * 1e-3), 1);
  }
};

// Builds the case and runs warm-up + check. Returns false (after reporting) when it cannot be
// timed.
bool prepare(const Case& c, const Dims& shape, const std::string& name, Reporter& rep, Bench& b,
             Check& chk) {
  try {
    b = c.make(shape);
    for (int w = 0; w < rep.o.warmup; ++w) {
      auto outs = run_step(b);
      if (w == 0) chk = b.check(outs);
    }
    return true;
  } catch (const Unsupported& u) {
    rep.emit(rep.head(c, shape, name).str("status", "unsupported").str("reason", u.reason));
  } catch (const std::exception& e) {
    ++rep.failures;
    rep.emit(rep.head(c, shape, name).str("status", "error").str("reason", e.what()));
  }
  return false;
}

// The 1-minute load average (Linux), to say how busy the machine was; NaN when unknown.
double load_average() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (!f) return NAN;
  double v = NAN;
  if (std::fscanf(f, "%lf", &v) != 1) v = NAN;
  std::fclose(f);
  return v;
}

// A case with a direct baseline: warm the baseline up and check it, then time Tandem's step and
// the baseline alternately (so background load hits both alike). Returns {tandem, baseline}.
std::pair<Timing, Timing> time_with_baseline(Bench& b, const Options& o, Check& chk) {
  for (int w = 0; w < o.warmup; ++w)
    b.baseline();
  if (b.baseline_check) {
    Check bc = b.baseline_check();
    chk.ok = chk.ok && bc.ok;
    chk.detail += "; baseline: " + bc.detail;
  }
  std::vector<double> ts, tb;
  double start = now_ms();
  for (int r = 0; r < o.repeats; ++r) {
    double t0 = now_ms();
    auto outs = run_step(b);
    double t1 = now_ms();
    outs.clear();
    double t2 = now_ms();
    b.baseline();
    double t3 = now_ms();
    ts.push_back(t1 - t0);
    tb.push_back(t3 - t2);
    if (r + 1 >= 3 && now_ms() - start > o.budget_s * 2e3) break;
  }
  return {summarize(std::move(ts)), summarize(std::move(tb))};
}

void run_case(const Case& c, Reporter& rep) {
  const Options& o = rep.o;
  const Dims& shape = o.full ? c.full : c.cpu;
  std::string name = c.name + (o.full ? "" : "_cpu");
  std::cerr << "[tandem_bench] " << name << " ..." << std::endl;
  Bench b;
  Check chk;
  if (!prepare(c, shape, name, rep, b, chk)) return;
  try {
    double load0 = load_average();
    Timing t, tb;
    if (b.baseline && o.device.type == tx::Device::cpu) {
      std::tie(t, tb) = time_with_baseline(b, o, chk);
    } else {
      t = time_steps(b, o);
    }
    if (chk.ok && b.final_check) {
      Check fc = b.final_check();
      chk.ok = fc.ok;
      chk.detail += "; " + fc.detail;
    }
    auto j = rep.head(c, shape, name);
    j.str("status", chk.ok ? "ok" : "check_failed");
    rep.add_timing(j, b, t, tx::cpu::num_threads());
    if (tb.reps > 0) {
      j.str("baseline", b.baseline_name).num("baseline_median_ms", tb.median_ms);
      j.num("baseline_min_ms", tb.min_ms);
      if (b.flops > 0) {
        j.num("gflops", b.flops / (t.median_ms * 1e6), 1);
        j.num("baseline_gflops", b.flops / (tb.median_ms * 1e6), 1);
      }
      // Tandem's rate as a fraction of the baseline's (1.0 = as fast).
      j.num("ratio_vs_baseline", tb.median_ms / t.median_ms, 3);
      j.num("ratio_vs_baseline_min", tb.min_ms / t.min_ms, 3);
    }
    j.num("loadavg_1m_before", load0, 2).num("loadavg_1m_after", load_average(), 2);
    j.str("check", chk.ok ? "pass" : "FAIL").str("check_detail", chk.detail);
    if (!b.note.empty()) j.str("note", b.note);
    if (!chk.ok) ++rep.failures;
    rep.emit(j);
  } catch (const std::exception& e) {
    ++rep.failures;
    rep.emit(rep.head(c, shape, name).str("status", "error").str("reason", e.what()));
  }
  tx::clear_cache();
}

// Thread scaling: the same case with 1 thread and with `all` threads.
void run_scaling(const Case& c, Reporter& rep, int all) {
  const Options& o = rep.o;
  const Dims& shape = o.full ? c.full : c.cpu;
  std::string name = c.name + (o.full ? "" : "_cpu");
  std::cerr << "[tandem_bench] scaling " << name << " ..." << std::endl;
  Bench b;
  Check chk;
  tx::cpu::set_num_threads(all);
  if (!prepare(c, shape, name, rep, b, chk)) return;
  if (!chk.ok) ++rep.failures;
  std::vector<int> counts{1};
  if (all != 1) counts.push_back(all);
  try {
    for (int threads : counts) {  // one untimed run per count: the pool's threads start
      tx::cpu::set_num_threads(threads);
      run_step(b);
    }
    auto times = time_steps(b, o, counts);
    for (size_t i = 0; i < counts.size(); ++i) {
      auto j = rep.head(c, shape, name);
      j.str("status", chk.ok ? "ok" : "check_failed").str("mode", "scaling");
      rep.add_timing(j, b, times[i], counts[i]);
      if (i > 0) {
        j.num("speedup_vs_1_thread", times[0].median_ms / times[i].median_ms, 2);
        // Ratio of the fastest runs: less sensitive to other work on a shared machine.
        j.num("speedup_of_min", times[0].min_ms / times[i].min_ms, 2);
      }
      j.str("check", chk.ok ? "pass" : "FAIL");
      rep.emit(j);
    }
  } catch (const std::exception& e) {
    ++rep.failures;
    rep.emit(rep.head(c, shape, name).str("status", "error").str("reason", e.what()));
  }
  tx::cpu::set_num_threads(all);
  tx::clear_cache();
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  auto cases = make_cases();
  if (o.list) {
    for (auto& c : cases)
      std::cout << c.name << (c.scaling ? "  (scaling)" : "") << "\n";
    return 0;
  }
  if (o.device.type == tx::Device::gpu && !tx::is_available(o.device)) {
    std::cerr << "tandem_bench: --device gpu, but no GPU is available to this build of Tandem "
                 "(built without CUDA, or no device present).\n";
    return 2;
  }
  tx::set_default_device(o.device);
  if (o.threads > 0) tx::cpu::set_num_threads(o.threads);
  const int all_threads = tx::cpu::num_threads();
  std::cerr << "[tandem_bench] device " << device_name(o.device) << ", "
            << (o.full ? "full" : "cpu") << "-sized shapes, " << all_threads
            << " CPU thread(s), repeats " << o.repeats << ", warm-up " << o.warmup << ", budget "
            << o.budget_s << " s per case" << std::endl;

  Reporter rep{o};
  int run = 0;
  for (auto& c : cases) {
    std::string name = c.name + (o.full ? "" : "_cpu");
    if (!o.filter.empty() && name.find(o.filter) == std::string::npos) continue;
    if (o.scaling && !c.scaling) continue;
    ++run;
    if (o.scaling) {
      run_scaling(c, rep, all_threads);
    } else {
      run_case(c, rep);
    }
  }
  if (run == 0) {
    std::cerr << "tandem_bench: no case matches filter '" << o.filter << "'\n";
    return 2;
  }
  if (rep.failures) std::cerr << "tandem_bench: " << rep.failures << " case(s) failed\n";
  return rep.failures ? 1 : 0;
}
