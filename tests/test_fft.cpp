// Copyright © 2026 Tandem authors.
// The fft namespace (include/tandem/fft.h): against a naive O(n^2) DFT in double, round trips,
// real transforms, n-d against composed 1-d transforms, sizes that crop or pad, memory layouts,
// empty and size-1 axes, argument errors, fftshift, and the derivative and batching rules
// (finite differences through real-valued functions of the output; the transforms are linear, so
// a large step is exact up to float32 rounding).
#include <gtest/gtest.h>

#include <complex>
#include <random>

#include "harness.h"
#include "tandem/tandem.h"
#include "transforms_check.h"

using namespace tandem;
using cd = std::complex<double>;

namespace {

std::vector<cd> rand_complex(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<cd> v(n);
  for (auto& x : v) {
    double re = dist(gen);
    x = cd(re, dist(gen));
  }
  return v;
}

std::vector<double> rand_real(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> v(n);
  for (auto& x : v)
    x = dist(gen);
  return v;
}

size_t numel(const Shape& s) {
  size_t n = 1;
  for (int d : s)
    n *= d;
  return n;
}

array to_c64(const std::vector<cd>& v, const Shape& shape) {
  std::vector<complex64_t> c(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    c[i] = complex64_t(static_cast<float>(v[i].real()), static_cast<float>(v[i].imag()));
  return array(c, shape, complex64);
}

std::vector<cd> from_c64(array a) {
  auto v = a.to_vector<complex64_t>();
  return std::vector<cd>(v.begin(), v.end());
}

// The values the array stores, rounded as complex64 (so the reference sees what the op sees).
std::vector<cd> rounded(const std::vector<cd>& v) {
  std::vector<cd> r(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    r[i] = cd(static_cast<float>(v[i].real()), static_cast<float>(v[i].imag()));
  return r;
}

// Naive DFT of a row-major array along `axis` (sign -1 forward, +1 inverse, not normalised).
std::vector<cd> naive_dft(const std::vector<cd>& x, const Shape& shape, int axis, bool inverse) {
  int64_t outer = 1, inner = 1, n = shape[axis];
  for (int d = 0; d < axis; ++d)
    outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  std::vector<cd> y(x.size());
  double sgn = inverse ? 1.0 : -1.0;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      for (int64_t k = 0; k < n; ++k) {
        cd acc = 0;
        for (int64_t j = 0; j < n; ++j) {
          double t = sgn * 2.0 * M_PI * static_cast<double>((j * k) % n) / static_cast<double>(n);
          acc += x[(o * n + j) * inner + i] * cd(std::cos(t), std::sin(t));
        }
        y[(o * n + k) * inner + i] = inverse ? acc / static_cast<double>(n) : acc;
      }
    }
  }
  return y;
}

// max |got - want| <= tol * (1 + max |want|).
::testing::AssertionResult close(const std::vector<cd>& got, const std::vector<cd>& want,
                                 double tol = 2e-6) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << got.size() << " values, expected " << want.size();
  }
  double scale = 0, err = 0;
  size_t worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    scale = std::max(scale, std::abs(want[i]));
    if (std::abs(got[i] - want[i]) > err) {
      err = std::abs(got[i] - want[i]);
      worst = i;
    }
  }
  if (err <= tol * (1.0 + scale)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "element " << worst << ": " << got[worst] << " vs " << want[worst] << " (max error "
         << err << ", scale " << scale << ")";
}

::testing::AssertionResult close(const array& got, const array& want, double tol = 2e-6) {
  if (got.shape() != want.shape()) {
    return ::testing::AssertionFailure()
           << "shape " << shape_to_string(got.shape()) << " vs " << shape_to_string(want.shape());
  }
  if (got.dtype() != want.dtype()) {
    return ::testing::AssertionFailure() << "dtype " << got.dtype() << " vs " << want.dtype();
  }
  return close(from_c64(astype(got, complex64)), from_c64(astype(want, complex64)), tol);
}

std::vector<cd> real_part_complex(const std::vector<double>& v) {
  return std::vector<cd>(v.begin(), v.end());
}

const std::vector<int> kLengths{1, 2, 3, 5, 8, 12, 17, 64, 100};

}  // namespace

DEVICE_TEST(Fft, MatchesNaiveDft) {
  uint32_t seed = 1;
  for (int n : kLengths) {
    SCOPED_TRACE("n " + std::to_string(n));
    // A batch of 3 along the last axis and along the first.
    for (int axis : {1, 0}) {
      Shape shape = axis == 1 ? Shape{3, n} : Shape{n, 3};
      auto x = rounded(rand_complex(numel(shape), seed++));
      array a = to_c64(x, shape);
      array y = fft::fft(a, axis, device);
      EXPECT_EQ(y.dtype(), complex64);
      EXPECT_EQ(y.shape(), shape);
      EXPECT_TRUE(close(from_c64(y), naive_dft(x, shape, axis, false)));
      array yi = fft::ifft(a, axis, device);
      EXPECT_TRUE(close(from_c64(yi), naive_dft(x, shape, axis, true)));
    }
  }
  // Longer lengths: powers of two and Bluestein lengths (prime, composite).
  for (int n : {256, 257, 1000, 1024}) {
    SCOPED_TRACE("n " + std::to_string(n));
    auto x = rounded(rand_complex(n, seed++));
    EXPECT_TRUE(
        close(from_c64(fft::fft(to_c64(x, {n}), -1, device)), naive_dft(x, {n}, 0, false), 4e-6));
  }
}

DEVICE_TEST(Fft, RealAndIntegerInputsBecomeComplex) {
  auto v = rand_real(12, 7);
  for (Dtype t : {float32, float64, float16, int32, bool_}) {
    SCOPED_TRACE(dtype_name(t));
    array a = astype(array(v, {12}, float64), t);
    array y = fft::fft(a, -1, device);
    EXPECT_EQ(y.dtype(), complex64);
    auto xv = from_c64(astype(a, complex64));
    EXPECT_TRUE(close(from_c64(y), naive_dft(xv, {12}, 0, false)));
  }
}

DEVICE_TEST(Fft, InverseOfForward) {
  uint32_t seed = 20;
  for (int n : kLengths) {
    SCOPED_TRACE("n " + std::to_string(n));
    auto x = rand_complex(4 * n, seed++);
    array a = to_c64(x, {4, n});
    EXPECT_TRUE(close(fft::ifft(fft::fft(a, -1, device), -1, device), a));
    EXPECT_TRUE(close(fft::fft(fft::ifft(a, 0, device), 0, device), a));
  }
}

DEVICE_TEST(Fft, RfftIsTheFirstHalfOfFft) {
  uint32_t seed = 40;
  for (int n : kLengths) {
    SCOPED_TRACE("n " + std::to_string(n));
    array x = array(rand_real(2 * n, seed++), {2, n}, float32);
    array r = fft::rfft(x, -1, device);
    EXPECT_EQ(r.dtype(), complex64);
    EXPECT_EQ(r.shape(), (Shape{2, n / 2 + 1}));
    array f = slice(fft::fft(x, -1, device), {0, 0}, {2, n / 2 + 1});
    EXPECT_TRUE(close(r, f));
    // Along the first axis too.
    array xt = array(rand_real(2 * n, seed++), {n, 2}, float32);
    array rt = fft::rfft(xt, 0, device);
    EXPECT_TRUE(close(rt, slice(fft::fft(xt, 0, device), {0, 0}, {n / 2 + 1, 2})));
  }
}

DEVICE_TEST(Fft, IrfftInvertsRfft) {
  uint32_t seed = 60;
  for (int n : kLengths) {
    SCOPED_TRACE("n " + std::to_string(n));
    array x = array(rand_real(3 * n, seed++), {3, n}, float32);
    array back = fft::irfft(fft::rfft(x, -1, device), n, -1, device);
    EXPECT_EQ(back.dtype(), float32);
    EXPECT_TRUE(close(back, x));
    if (n % 2 == 0 && n > 1) {
      // The default size 2 * (m - 1) is right for even n.
      EXPECT_TRUE(close(fft::irfft(fft::rfft(x, -1, device), -1, device), x));
    }
    // Along axis 0.
    array xt = transpose(x);
    EXPECT_TRUE(close(fft::irfft(fft::rfft(xt, 0, device), n, 0, device), xt));
  }
}

DEVICE_TEST(Fft, IrfftOfAnySpectrum) {
  // Not Hermitian: the imaginary parts of the zero (and even n's Nyquist) frequency are ignored
  // and the others stand for themselves and their conjugate partners (NumPy's irfft).
  uint32_t seed = 80;
  for (int n : {1, 2, 3, 6, 7, 16, 17, 30}) {
    SCOPED_TRACE("n " + std::to_string(n));
    int m = n / 2 + 1;
    auto x = rounded(rand_complex(m, seed++));
    std::vector<cd> full(n);
    for (int k = 0; k < n; ++k)
      full[k] = k < m ? x[k] : std::conj(x[n - k]);
    full[0] = full[0].real();
    if (n % 2 == 0) full[n / 2] = full[n / 2].real();
    auto want = naive_dft(full, {n}, 0, true);
    array y = fft::irfft(to_c64(x, {m}), n, 0, device);
    EXPECT_EQ(y.shape(), Shape{n});
    EXPECT_TRUE(close(from_c64(astype(y, complex64)), std::vector<cd>(want.begin(), want.end())));
  }
}

DEVICE_TEST(Fft, NdAgainstComposed1d) {
  uint32_t seed = 100;
  Shape shape{3, 5, 4};
  auto x = rand_complex(numel(shape), seed++);
  array a = to_c64(x, shape);
  // fft2 over the last two axes, fftn over all, and a subset in a given order.
  EXPECT_TRUE(close(fft::fft2(a, {-2, -1}, device), fft::fft(fft::fft(a, 2, device), 1, device)));
  EXPECT_TRUE(close(fft::fftn(a, device),
                    fft::fft(fft::fft(fft::fft(a, 0, device), 1, device), 2, device)));
  EXPECT_TRUE(close(fft::fftn(a, {2, 0}, device), fft::fft(fft::fft(a, 0, device), 2, device)));
  EXPECT_TRUE(close(fft::ifft2(a, {0, 2}, device), fft::ifft(fft::ifft(a, 0, device), 2, device)));
  EXPECT_TRUE(close(fft::ifftn(fft::fftn(a, device), device), a));
  // Four axes (more than one cuFFT plan's worth).
  Shape s4{2, 3, 4, 5};
  array b = to_c64(rand_complex(numel(s4), seed++), s4);
  array comp = b;
  for (int ax = 0; ax < 4; ++ax)
    comp = fft::fft(comp, ax, device);
  EXPECT_TRUE(close(fft::fftn(b, device), comp));
  EXPECT_TRUE(close(fft::ifftn(fft::fftn(b, device), device), b));

  // Real transforms: rfftn = fftn cropped on the last axis; irfftn inverts it (even and odd).
  for (Shape rs : {Shape{4, 6}, Shape{3, 5}, Shape{2, 3, 4, 7}}) {
    SCOPED_TRACE(shape_to_string(rs));
    array r = array(rand_real(numel(rs), seed++), rs, float32);
    array got = fft::rfftn(r, device);
    Shape stop = rs;
    stop.back() = rs.back() / 2 + 1;
    EXPECT_TRUE(close(got, slice(fft::fftn(r, device), Shape(rs.size(), 0), stop)));
    std::vector<int> axes(rs.size());
    std::iota(axes.begin(), axes.end(), 0);
    EXPECT_TRUE(close(fft::irfftn(got, rs, axes, device), r));
  }
  array r2 = array(rand_real(30, seed++), {5, 6}, float32);
  EXPECT_TRUE(
      close(fft::rfft2(r2, {-2, -1}, device), fft::fft(fft::rfft(r2, -1, device), 0, device)));
  EXPECT_TRUE(close(fft::irfft2(fft::rfft2(r2, {-2, -1}, device), {-2, -1}, device), r2));
  // The halved axis is the last one listed, wherever it is.
  array r3 = array(rand_real(30, seed++), {5, 6}, float32);
  EXPECT_TRUE(close(fft::rfft2(r3, {1, 0}, device), fft::fft(fft::rfft(r3, 0, device), 1, device)));
  EXPECT_TRUE(close(fft::irfft2(fft::rfft2(r3, {1, 0}, device), {6, 5}, {1, 0}, device), r3));
}

DEVICE_TEST(Fft, SizesCropAndPad) {
  auto x = rand_complex(2 * 10, 300);
  array a = to_c64(x, {2, 10});
  // Crop: the first n values.
  EXPECT_TRUE(close(fft::fft(a, 6, -1, device), fft::fft(slice(a, {0, 0}, {2, 6}), -1, device)));
  // Pad with zeros.
  array padded = concatenate({a, zeros({2, 7}, complex64)}, 1);
  EXPECT_TRUE(close(fft::fft(a, 17, -1, device), fft::fft(padded, -1, device)));
  EXPECT_TRUE(close(fft::ifft(a, 17, 1, device), fft::ifft(padded, -1, device)));
  // Both at once in 2-d: 2 -> 3 rows (pad), 10 -> 4 columns (crop).
  array both = concatenate({slice(a, {0, 0}, {2, 4}), zeros({1, 4}, complex64)}, 0);
  EXPECT_TRUE(close(fft::fft2(a, {3, 4}, {0, 1}, device), fft::fft2(both, {0, 1}, device)));
  // rfft: n is the input size; irfft: n is the output size (input cropped/padded to n/2+1).
  array r = array(rand_real(10, 301), {10}, float32);
  EXPECT_TRUE(close(fft::rfft(r, 4, 0, device), fft::rfft(slice(r, {0}, {4}), 0, device)));
  array rp = concatenate({r, zeros({5}, float32)});
  EXPECT_TRUE(close(fft::rfft(r, 15, 0, device), fft::rfft(rp, 0, device)));
  array spec = fft::rfft(r, 0, device);  // 6 frequencies
  EXPECT_EQ(fft::irfft(spec, 7, 0, device).shape(), Shape{7});
  EXPECT_TRUE(
      close(fft::irfft(spec, 7, 0, device), fft::irfft(slice(spec, {0}, {4}), 7, 0, device)));
  EXPECT_TRUE(close(fft::irfft(spec, 14, 0, device),
                    fft::irfft(concatenate({spec, zeros({2}, complex64)}), 14, 0, device)));
  EXPECT_TRUE(close(fft::irfftn(spec, {10}, {0}, device), r));
}

DEVICE_TEST(Fft, NonContiguousInputs) {
  Shape shape{6, 8};
  auto x = rand_complex(numel(shape), 400);
  array a = to_c64(x, shape);
  for (int variant = 0; variant < 4; ++variant) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    array v = variant == 0   ? transpose(a)
              : variant == 1 ? slice(a, {0, 1}, {6, 8}, {2, 3})
              : variant == 2 ? slice(a, {-1, 0}, {-7, 8}, {-1, 1})
                             : broadcast_to(slice(a, {0, 0}, {1, 8}), {5, 8});
    array c = to_c64(from_c64(v), v.shape());  // a packed copy
    for (int axis : {0, 1}) {
      EXPECT_TRUE(close(fft::fft(v, axis, device), fft::fft(c, axis, device)));
      EXPECT_TRUE(close(fft::ifft(v, axis, device), fft::ifft(c, axis, device)));
    }
    EXPECT_TRUE(close(fft::fft2(v, {-2, -1}, device), fft::fft2(c, {-2, -1}, device)));
    array rv = real(v), rc = real(c);
    EXPECT_TRUE(close(fft::rfft2(rv, {-2, -1}, device), fft::rfft2(rc, {-2, -1}, device)));
    EXPECT_TRUE(close(fft::irfft(v, 0, device), fft::irfft(c, 0, device)));
  }
}

DEVICE_TEST(Fft, EmptyAndSizeOneAxes) {
  // An empty batch: empty result of the right shape and dtype.
  array e = zeros({0, 4}, float32);
  array y = fft::fft(e, -1, device);
  EXPECT_EQ(y.shape(), (Shape{0, 4}));
  EXPECT_EQ(y.dtype(), complex64);
  EXPECT_EQ(y.size(), 0u);
  EXPECT_EQ(fft::rfft(e, -1, device).shape(), (Shape{0, 3}));
  EXPECT_EQ(fft::irfft(zeros({0, 3}, complex64), -1, device).shape(), (Shape{0, 4}));
  // A size-1 axis: the transform is the identity (ifft too: 1 / 1).
  auto x = rand_complex(3, 500);
  array a = to_c64(x, {3, 1});
  EXPECT_TRUE(close(fft::fft(a, -1, device), a));
  EXPECT_TRUE(close(fft::ifft(a, -1, device), a));
  array r = array(rand_real(3, 501), {3, 1}, float32);
  EXPECT_TRUE(close(fft::rfft(r, -1, device), astype(r, complex64)));
  EXPECT_TRUE(close(fft::irfft(fft::rfft(r, -1, device), 1, -1, device), r));
}

TEST(Fft, BadInputs) {
  array a = zeros({4, 6}, complex64);
  array r = zeros({4, 6}, float32);
  EXPECT_THROW_MSG(fft::fft(array(1.0f)), std::invalid_argument, "[fft] Requires an array");
  EXPECT_THROW_MSG(fft::fftn(array(1.0f)), std::invalid_argument, "[fftn]");
  EXPECT_THROW_MSG(fft::fft(a, 2), std::invalid_argument, "[fft] Invalid axis 2");
  EXPECT_THROW_MSG(fft::ifft(a, -3), std::invalid_argument, "[ifft] Invalid axis -3");
  EXPECT_THROW_MSG(fft::fft2(a, {0, -2}), std::invalid_argument, "[fft2] Repeated axis");
  EXPECT_THROW_MSG(fft::fft(a, 0, -1), std::invalid_argument, "[fft] Invalid transform size 0");
  EXPECT_THROW_MSG(fft::rfft(r, -5, -1), std::invalid_argument, "[rfft] Invalid transform size");
  EXPECT_THROW_MSG(fft::fftn(a, {4, 6}, {0}), std::invalid_argument, "have different lengths");
  EXPECT_THROW_MSG(fft::rfft(a), std::invalid_argument, "[rfft] Input must be real");
  EXPECT_THROW_MSG(fft::rfftn(a), std::invalid_argument, "[rfftn] Input must be real");
  // irfft of one frequency has no default size (2 * (1 - 1) = 0); an explicit n works.
  EXPECT_THROW_MSG(fft::irfft(zeros({3, 1}, complex64)), std::invalid_argument,
                   "[irfft] Invalid transform size 0");
  EXPECT_EQ(fft::irfft(zeros({3, 1}, complex64), 1, -1).shape(), (Shape{3, 1}));
  // Transforming an empty axis.
  EXPECT_THROW_MSG(fft::fft(zeros({0}, float32)), std::invalid_argument,
                   "[fft] Invalid transform size 0");
  EXPECT_THROW_MSG(fft::fftshift(a, {3}), std::invalid_argument, "[fftshift] Invalid axis 3");
  EXPECT_THROW_MSG(fft::ifftshift(a, {-3}), std::invalid_argument, "[ifftshift] Invalid axis");
  // No axes: the input unchanged.
  EXPECT_TRUE(close(fft::fftn(a, Shape{}, std::vector<int>{}), a));
}

DEVICE_TEST(Fft, Shifts) {
  array odd = arange(5, device);  // NumPy: fftshift -> [3 4 0 1 2], ifftshift -> [2 3 4 0 1]
  EXPECT_ARRAY_EQ(fft::fftshift(odd, device), std::vector<int32_t>{3, 4, 0, 1, 2}, Shape{5});
  EXPECT_ARRAY_EQ(fft::ifftshift(odd, device), std::vector<int32_t>{2, 3, 4, 0, 1}, Shape{5});
  array even = arange(6, device);
  EXPECT_ARRAY_EQ(fft::fftshift(even, device), std::vector<int32_t>{3, 4, 5, 0, 1, 2}, Shape{6});
  EXPECT_ARRAY_EQ(fft::ifftshift(even, device), std::vector<int32_t>{3, 4, 5, 0, 1, 2}, Shape{6});
  array m = reshape(arange(12, device), {3, 4}, device);
  EXPECT_ARRAY_EQ(fft::ifftshift(fft::fftshift(m, device), device),
                  std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, Shape{3, 4});
  EXPECT_ARRAY_EQ(fft::fftshift(m, {1}, device),
                  std::vector<int32_t>{2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9}, Shape{3, 4});
  EXPECT_ARRAY_EQ(fft::fftshift(m, {0}, device),
                  std::vector<int32_t>{8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 6, 7}, Shape{3, 4});
}

// ---------------- derivatives and batching ----------------

namespace {

using tx::Fn;

// Real and imaginary parts side by side (a real function of a complex output).
array parts(const array& y) {
  return concatenate({real(y), imag(y)}, -1);
}
array abs2(const array& y) {
  return add(square(real(y)), square(imag(y)));
}
// A complex64 array from two real ones.
array cplx(const array& re, const array& im) {
  return add(astype(re, complex64), multiply(astype(im, complex64), array(complex64_t(0, 1))));
}

// The transforms compute in float32: a large step (exact for linear and quadratic functions) and
// a float32 tolerance.
constexpr double kTol = 2e-4, kStep = 0.5;

}  // namespace

class FftTransforms : public tx::CpuTest {};

TEST_F(FftTransforms, ComplexTransformsDerivatives) {
  std::vector<array> xs{tx::rand64({3, 5}, -1, 1, 1), tx::rand64({3, 5}, -1, 1, 2)};
  std::vector<Fn> fns{
      [](const std::vector<array>& x) { return parts(fft::fft(cplx(x[0], x[1]))); },
      [](const std::vector<array>& x) { return parts(fft::ifft(cplx(x[0], x[1]), 0)); },
      [](const std::vector<array>& x) { return abs2(fft::fft2(cplx(x[0], x[1]))); },
      [](const std::vector<array>& x) {
        return parts(fft::ifftn(cplx(x[0], x[1]), {7, 4}, {1, 0}));
      },
      [](const std::vector<array>& x) { return parts(fft::fft(x[0], 8, 1)); },  // real input
  };
  for (size_t i = 0; i < fns.size(); ++i) {
    SCOPED_TRACE("function " + std::to_string(i));
    EXPECT_DERIVATIVES(fns[i], xs, kTol, kStep);
  }
}

TEST_F(FftTransforms, RealTransformsDerivatives) {
  for (int n : {6, 7}) {
    SCOPED_TRACE("n " + std::to_string(n));
    std::vector<array> xr{tx::rand64({2, n}, -1, 1, 3)};
    std::vector<Fn> rf{
        [](const std::vector<array>& x) { return parts(fft::rfft(x[0])); },
        [](const std::vector<array>& x) { return abs2(fft::rfft2(x[0])); },
        [n](const std::vector<array>& x) { return parts(fft::rfft(x[0], n + 3, -1)); },
        [](const std::vector<array>& x) {
          return parts(fft::rfftn(x[0], {1, 0}));
        },
    };
    for (size_t i = 0; i < rf.size(); ++i) {
      SCOPED_TRACE("rfft function " + std::to_string(i));
      EXPECT_DERIVATIVES(rf[i], xr, kTol, kStep);
    }
    int m = n / 2 + 1;
    std::vector<array> xc{tx::rand64({3, m}, -1, 1, 4), tx::rand64({3, m}, -1, 1, 5)};
    std::vector<Fn> cf{
        [n](const std::vector<array>& x) { return fft::irfft(cplx(x[0], x[1]), n, -1); },
        [n](const std::vector<array>& x) {
          return square(fft::irfft2(cplx(x[0], x[1]), {3, n}, {0, 1}));
        },
        [n](const std::vector<array>& x) { return fft::irfft(cplx(x[0], x[1]), n - 2, -1); },
        [](const std::vector<array>& x) { return fft::irfft(cplx(x[0], x[1]), 3, 0); },
    };
    for (size_t i = 0; i < cf.size(); ++i) {
      SCOPED_TRACE("irfft function " + std::to_string(i));
      EXPECT_DERIVATIVES(cf[i], xc, kTol, kStep);
    }
  }
}

TEST_F(FftTransforms, Vmap) {
  array c = cplx(tx::rand64({4, 3, 6}, -1, 1, 6), tx::rand64({4, 3, 6}, -1, 1, 7));
  array r = astype(tx::rand64({4, 3, 6}, -1, 1, 8), float32);
  for (int in_axis : {0, 1, 2}) {
    SCOPED_TRACE("in_axis " + std::to_string(in_axis));
    EXPECT_VMAP(tx::unary_v([](const array& x) { return fft::fft(x); }), {c}, {in_axis}, {}, 1e-5);
    EXPECT_VMAP(tx::unary_v([](const array& x) { return fft::ifft2(x); }), {c}, {in_axis}, {},
                1e-5);
    EXPECT_VMAP(tx::unary_v([](const array& x) { return fft::rfft(x, 0); }), {r}, {in_axis}, {},
                1e-5);
    EXPECT_VMAP(tx::unary_v([](const array& x) { return fft::irfft(x, 5, -1); }), {c}, {in_axis},
                {}, 1e-5);
    EXPECT_VMAP(tx::unary_v([](const array& x) { return fft::irfftn(x); }), {c}, {in_axis}, {},
                1e-5);
  }
  // vmap of grad.
  auto g = grad(
      std::function<array(const array&)>([](const array& x) { return sum(abs2(fft::rfft(x))); }));
  EXPECT_VMAP(tx::unary_v([&](const array& x) { return g(x); }), {r}, {1}, {}, 1e-4);
}
