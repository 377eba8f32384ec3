// Copyright © 2026 Tandem authors.
// CPU kernel of the FFT primitive, written from scratch. Everything computes in double and is
// rounded to complex64 / float32 once at the end.
//
// 1-D plans (one per distinct length, built per call: O(n) twiddles, exact angle reduction):
//  - powers of two: iterative radix-2 (bit-reversal permutation, then log2(n) butterfly passes);
//  - other lengths up to kDirectMax: the direct O(n^2) sum with a table of the n roots of unity;
//  - other lengths: Bluestein's algorithm, the DFT as a convolution with the chirp
//    e^{-i pi j^2 / n} (j^2 reduced mod 2n in integers), computed with radix-2 FFTs of a power of
//    two m >= 2n - 1 whose chirp spectrum is precomputed.
// Inverse transforms conjugate, transform forward and conjugate back; the 1 / N normalisation
// is applied when the result is written out.
//
// n-d: the input is converted into a row-major double buffer and each axis is transformed in
// place, one line (gathered with the axis's stride into a private vector) at a time; lines are
// spread over the thread pool. rfft transforms the halved axis first (each real line as a
// complex one, keeping n / 2 + 1 outputs), then the other axes; irfft transforms the other axes
// first, then rebuilds each line's full Hermitian spectrum (imaginary parts of the zero and
// Nyquist frequencies dropped) and keeps the real part of its inverse.
#include <cmath>
#include <complex>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "backend/cpu/copy.h"
#include "backend/cpu/threading.h"
#include "primitives/fft.h"
#include "tandem/allocator.h"

namespace tandem {

namespace {

using cpu::parallel_for;

struct Cx {
  double re, im;
};
inline Cx mul(Cx a, Cx b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
inline Cx add(Cx a, Cx b) {
  return {a.re + b.re, a.im + b.im};
}
inline Cx sub(Cx a, Cx b) {
  return {a.re - b.re, a.im - b.im};
}
inline Cx conj(Cx a) {
  return {a.re, -a.im};
}

constexpr int64_t kDirectMax = 16;

// e^{-2 pi i num / den} for 0 <= num < den (angle reduced exactly by the caller).
Cx root(int64_t num, int64_t den) {
  double t = -2.0 * M_PI * static_cast<double>(num) / static_cast<double>(den);
  return {std::cos(t), std::sin(t)};
}

bool is_pow2(int64_t n) {
  return n > 0 && (n & (n - 1)) == 0;
}

class Plan {
 public:
  explicit Plan(int64_t n) : n_(n) {
    if (is_pow2(n)) {
      kind_ = Kind::Radix2;
      tw_.resize(n / 2);
      for (int64_t k = 0; k < n / 2; ++k)
        tw_[k] = root(k, n);
      rev_.resize(n);
      int bits = 0;
      while ((int64_t(1) << bits) < n)
        ++bits;
      for (int64_t i = 0; i < n; ++i) {
        int64_t r = 0;
        for (int b = 0; b < bits; ++b)
          r |= ((i >> b) & 1) << (bits - 1 - b);
        rev_[i] = r;
      }
    } else if (n <= kDirectMax) {
      kind_ = Kind::Direct;
      tw_.resize(n);
      for (int64_t k = 0; k < n; ++k)
        tw_[k] = root(k, n);
    } else {
      kind_ = Kind::Bluestein;
      m_ = 1;
      while (m_ < 2 * n - 1)
        m_ <<= 1;
      sub_ = std::make_unique<Plan>(m_);
      // chirp[j] = e^{-i pi j^2 / n} = root(j^2 mod 2n, 2n).
      chirp_.resize(n);
      for (int64_t j = 0; j < n; ++j)
        chirp_[j] = root((j * j) % (2 * n), 2 * n);
      // b[d] = conj(chirp[|d|]) for |d| < n, wrapped mod m; its spectrum, divided by m so that
      // the inverse transform of the product needs no scaling.
      bfft_.assign(m_, Cx{0.0, 0.0});
      bfft_[0] = conj(chirp_[0]);
      for (int64_t d = 1; d < n; ++d) {
        bfft_[d] = conj(chirp_[d]);
        bfft_[m_ - d] = conj(chirp_[d]);
      }
      sub_->forward(bfft_.data(), nullptr);
      double inv_m = 1.0 / static_cast<double>(m_);
      for (auto& v : bfft_)
        v = {v.re * inv_m, v.im * inv_m};
    }
  }

  int64_t n() const { return n_; }
  /// Complex scratch values forward() needs.
  int64_t scratch_size() const {
    return kind_ == Kind::Direct ? n_ : kind_ == Kind::Bluestein ? m_ : 0;
  }

  /// In-place unnormalised forward DFT of x[0..n).
  void forward(Cx* x, Cx* scratch) const {
    switch (kind_) {
      case Kind::Radix2:
        return radix2(x);
      case Kind::Direct: {
        for (int64_t k = 0; k < n_; ++k) {
          Cx acc{0.0, 0.0};
          int64_t idx = 0;  // (j * k) mod n
          for (int64_t j = 0; j < n_; ++j) {
            acc = add(acc, mul(x[j], tw_[idx]));
            idx += k;
            if (idx >= n_) idx -= n_;
          }
          scratch[k] = acc;
        }
        for (int64_t k = 0; k < n_; ++k)
          x[k] = scratch[k];
        return;
      }
      case Kind::Bluestein: {
        Cx* a = scratch;
        for (int64_t j = 0; j < n_; ++j)
          a[j] = mul(x[j], chirp_[j]);
        for (int64_t j = n_; j < m_; ++j)
          a[j] = {0.0, 0.0};
        sub_->radix2(a);
        // Inverse transform of a * B: conj(F(conj(a * B))).
        for (int64_t j = 0; j < m_; ++j)
          a[j] = conj(mul(a[j], bfft_[j]));
        sub_->radix2(a);
        for (int64_t k = 0; k < n_; ++k)
          x[k] = mul(chirp_[k], conj(a[k]));
        return;
      }
    }
  }

  /// In-place unnormalised inverse DFT (conjugate kernel).
  void inverse(Cx* x, Cx* scratch) const {
    for (int64_t i = 0; i < n_; ++i)
      x[i].im = -x[i].im;
    forward(x, scratch);
    for (int64_t i = 0; i < n_; ++i)
      x[i].im = -x[i].im;
  }

 private:
  enum class Kind { Radix2, Direct, Bluestein };

  void radix2(Cx* x) const {
    for (int64_t i = 0; i < n_; ++i) {
      int64_t r = rev_[i];
      if (r > i) std::swap(x[i], x[r]);
    }
    for (int64_t len = 2; len <= n_; len <<= 1) {
      int64_t half = len / 2, step = n_ / len;
      for (int64_t i = 0; i < n_; i += len) {
        for (int64_t k = 0; k < half; ++k) {
          Cx u = x[i + k];
          Cx v = mul(x[i + k + half], tw_[k * step]);
          x[i + k] = add(u, v);
          x[i + k + half] = sub(u, v);
        }
      }
    }
  }

  int64_t n_;
  Kind kind_{Kind::Direct};
  std::vector<Cx> tw_;
  std::vector<int64_t> rev_;
  int64_t m_{0};
  std::unique_ptr<Plan> sub_;
  std::vector<Cx> chirp_, bfft_;
};

// Geometry of the lines along `axis` of a row-major buffer of `shape`.
struct Lines {
  int64_t outer{1}, len{1}, inner{1};
  Lines(const Shape& shape, int axis) {
    for (int d = 0; d < axis; ++d)
      outer *= shape[d];
    len = shape[axis];
    for (size_t d = axis + 1; d < shape.size(); ++d)
      inner *= shape[d];
  }
  int64_t count() const { return outer * inner; }
  // Offset of the first element of line l (lines of one outer index are adjacent columns).
  int64_t base(int64_t l, int64_t line_len) const {
    return (l / inner) * line_len * inner + (l % inner);
  }
};

size_t grain_for(int64_t len) {
  return static_cast<size_t>(std::max<int64_t>(1, 32768 / std::max<int64_t>(len, 1)));
}

// Complex transform of every line of `buf` (row-major, `shape`) along `axis`, in place.
void transform_axis(Cx* buf, const Shape& shape, int axis, bool inverse) {
  Lines g(shape, axis);
  if (g.len <= 1 || g.count() == 0) return;
  Plan plan(g.len);
  parallel_for(g.count(), grain_for(g.len), [&](size_t l0, size_t l1) {
    std::vector<Cx> line(g.len), scratch(plan.scratch_size());
    for (size_t l = l0; l < l1; ++l) {
      Cx* p = buf + g.base(static_cast<int64_t>(l), g.len);
      for (int64_t j = 0; j < g.len; ++j)
        line[j] = p[j * g.inner];
      if (inverse) {
        plan.inverse(line.data(), scratch.data());
      } else {
        plan.forward(line.data(), scratch.data());
      }
      for (int64_t j = 0; j < g.len; ++j)
        p[j * g.inner] = line[j];
    }
  });
}

// A row-contiguous copy of `a` when it is not row-contiguous already.
array row_contiguous(const array& a) {
  return a.flags().row_contiguous ? a : cpu::make_contiguous(a);
}

/// A row-contiguous complex64 array's elements in double precision (the transforms' buffer).
std::vector<Cx> complex_in_double(const array& in) {
  const auto* src = in.unsafe_data<complex64_t>();
  std::vector<Cx> buf(in.size());
  parallel_for(buf.size(), cpu::kElementwiseGrain, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i)
      buf[i] = {src[i].real(), src[i].imag()};
  });
  return buf;
}

}  // namespace

void FFT::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  array in = row_contiguous(inputs[0]);
  const Shape& is = in.shape();
  const Shape& os = out.shape();
  const int last = axes_.back();

  // Normalisation of the inverse transforms: 1 / product of the (output) sizes.
  double scale = 1.0;
  if (inverse_) {
    double N = 1.0;
    for (int ax : axes_)
      N *= static_cast<double>(real_ && ax == last ? n_last_ : is[ax]);
    scale = 1.0 / N;
  }

  if (!real_) {
    std::vector<Cx> buf = complex_in_double(in);
    for (int ax : axes_)
      transform_axis(buf.data(), is, ax, inverse_);
    auto* dst = out.unsafe_data<complex64_t>();
    parallel_for(buf.size(), cpu::kElementwiseGrain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i)
        dst[i] = complex64_t(static_cast<float>(buf[i].re * scale),
                             static_cast<float>(buf[i].im * scale));
    });
    return;
  }

  if (!inverse_) {
    // rfft: the halved axis first, from the real input into the (smaller) output-shaped buffer.
    const float* src = in.unsafe_data<float>();
    std::vector<Cx> buf(out.size());
    Lines gi(is, last);
    const int64_t n = gi.len, m = os[last];
    Plan plan(n);
    parallel_for(gi.count(), grain_for(n), [&](size_t l0, size_t l1) {
      std::vector<Cx> line(n), scratch(plan.scratch_size());
      for (size_t l = l0; l < l1; ++l) {
        const float* p = src + gi.base(static_cast<int64_t>(l), n);
        for (int64_t j = 0; j < n; ++j)
          line[j] = {p[j * gi.inner], 0.0};
        plan.forward(line.data(), scratch.data());
        Cx* q = buf.data() + gi.base(static_cast<int64_t>(l), m);
        for (int64_t k = 0; k < m; ++k)
          q[k * gi.inner] = line[k];
      }
    });
    for (int ax : axes_)
      if (ax != last) transform_axis(buf.data(), os, ax, false);
    auto* dst = out.unsafe_data<complex64_t>();
    parallel_for(buf.size(), cpu::kElementwiseGrain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i)
        dst[i] = complex64_t(static_cast<float>(buf[i].re), static_cast<float>(buf[i].im));
    });
    return;
  }

  // irfft: the other axes first (complex, in place), then the halved axis to real output.
  std::vector<Cx> buf = complex_in_double(in);
  for (int ax : axes_)
    if (ax != last) transform_axis(buf.data(), is, ax, true);
  Lines gi(is, last);
  const int64_t m = gi.len, n = n_last_;
  if (m != n / 2 + 1) {
    throw std::logic_error("[FFT::eval_cpu] irfft input has " + std::to_string(m) +
                           " frequencies for an output of " + std::to_string(n) + ".");
  }
  float* dst = out.unsafe_data<float>();
  Plan plan(n);
  parallel_for(gi.count(), grain_for(n), [&](size_t l0, size_t l1) {
    std::vector<Cx> line(n), scratch(plan.scratch_size());
    for (size_t l = l0; l < l1; ++l) {
      const Cx* p = buf.data() + gi.base(static_cast<int64_t>(l), m);
      for (int64_t k = 0; k < m; ++k)
        line[k] = p[k * gi.inner];
      line[0].im = 0.0;
      if (n % 2 == 0) line[n / 2].im = 0.0;
      for (int64_t k = m; k < n; ++k)
        line[k] = conj(line[n - k]);
      plan.inverse(line.data(), scratch.data());
      float* q = dst + gi.base(static_cast<int64_t>(l), n);
      for (int64_t j = 0; j < n; ++j)
        q[j * gi.inner] = static_cast<float>(line[j].re * scale);
    }
  });
}

}  // namespace tandem
