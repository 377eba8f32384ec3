// Copyright © 2026 Tandem authors.
// What the benchmark cases share (benchmarks/bench.cpp runs them): deterministic inputs with
// their exact host values, result checkers, and the case interface. The cases live in
// bench_elementwise.cpp, bench_products.cpp and bench_training.cpp.
#pragma once

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

namespace tandem_bench {

namespace tx = tandem;
using tx::array;
using Dims = std::vector<int64_t>;

// ============================== inputs ==============================

inline uint64_t splitmix64(uint64_t& s) {
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

inline tx::Shape to_shape(const Dims& d) {
  return tx::Shape(d.begin(), d.end());
}
inline size_t numel(const Dims& d) {
  size_t n = 1;
  for (auto x : d)
    n *= static_cast<size_t>(x);
  return n;
}

// Uniform values in [lo, hi) from a fixed seed, stored as `dtype` (float32 or bfloat16).
inline InputPtr make_input(const Dims& shape, tx::Dtype dtype, uint64_t seed,
                           float lo = -1.7320508f, float hi = 1.7320508f) {
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
inline array scalar(double v, tx::Dtype dtype) {
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
inline std::vector<int64_t> sample_rows(int64_t rows, int64_t k) {
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
  // Untimed pause after each baseline run, so that what the baseline leaves running (OpenBLAS's
  // worker threads spin for ~0.1 s after a threaded call) does not slow the next Tandem run.
  double baseline_settle_ms = 0;
};

/// Thrown by a case that cannot run in this build or on this device.
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

// The registries of the case families, in the order tandem_bench lists them.
void add_elementwise_cases(std::vector<Case>& c);
void add_product_cases(std::vector<Case>& c);
void add_training_cases(std::vector<Case>& c);

}  // namespace tandem_bench
