// Copyright © 2026 Tandem authors.
// Unary ops (src/ops/unary.cpp): values, dtypes, layouts, special values and errors.
#include <cfloat>
#include <cmath>
#include <functional>

#include "harness.h"

using namespace tandem;
using tandem_test::layouts;
using tandem_test::make;
using tandem_test::values;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kInfF = std::numeric_limits<float>::infinity();
constexpr float kNaNF = std::numeric_limits<float>::quiet_NaN();

using UnaryFn = std::function<array(const array&, Device)>;

struct FloatCase {
  const char* name;
  UnaryFn fn;
  double (*ref)(double);
  std::vector<double> domain;  // 12 values
};

const std::vector<double> kGeneral{-2.5, -1.0, -0.5, -0.0, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 7.0};
const std::vector<double> kPositive{0.125, 0.25, 0.5, 0.75, 1.0,   1.5,
                                    2.0,   3.0,  4.0, 10.0, 100.0, 1000.0};
const std::vector<double> kUnit{-0.99, -0.9, -0.5, -0.25, -0.1, 0.0,
                                0.1,   0.25, 0.5,  0.75,  0.9,  0.99};
const std::vector<double> kAtLeastOne{1.0,  1.25, 1.5,  2.0,   3.0,    5.0,
                                      10.0, 20.0, 50.0, 100.0, 1000.0, 10000.0};

double sigmoid_ref(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}
double rsqrt_ref(double x) {
  return 1.0 / std::sqrt(x);
}
double reciprocal_ref(double x) {
  return 1.0 / x;
}
double square_ref(double x) {
  return x * x;
}
double negative_ref(double x) {
  return -x;
}
double abs_ref(double x) {
  return std::abs(x);
}
double erfinv_ref(double y) {
  // Bisection on erf: slow but independent of the implementation.
  double lo = -6, hi = 6;
  for (int i = 0; i < 200; ++i) {
    double mid = 0.5 * (lo + hi);
    (std::erf(mid) < y ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

#define TANDEM_FN(OP) [](const array& a, Device d) { return OP(a, d); }

const std::vector<FloatCase>& float_cases() {
  static const std::vector<FloatCase> cases{
      {"abs", TANDEM_FN(abs), abs_ref, kGeneral},
      {"negative", TANDEM_FN(negative), negative_ref, kGeneral},
      {"square", TANDEM_FN(square), square_ref, kGeneral},
      {"sqrt", TANDEM_FN(sqrt), [](double x) { return std::sqrt(x); }, kPositive},
      {"rsqrt", TANDEM_FN(rsqrt), rsqrt_ref, kPositive},
      {"reciprocal", TANDEM_FN(reciprocal), reciprocal_ref, kPositive},
      {"exp", TANDEM_FN(exp), [](double x) { return std::exp(x); }, kGeneral},
      {"expm1", TANDEM_FN(expm1), [](double x) { return std::expm1(x); }, kGeneral},
      {"log", TANDEM_FN(log), [](double x) { return std::log(x); }, kPositive},
      {"log1p", TANDEM_FN(log1p), [](double x) { return std::log1p(x); }, kPositive},
      {"log2", TANDEM_FN(log2), [](double x) { return std::log2(x); }, kPositive},
      {"log10", TANDEM_FN(log10), [](double x) { return std::log10(x); }, kPositive},
      {"sin", TANDEM_FN(sin), [](double x) { return std::sin(x); }, kGeneral},
      {"cos", TANDEM_FN(cos), [](double x) { return std::cos(x); }, kGeneral},
      {"tan", TANDEM_FN(tan), [](double x) { return std::tan(x); }, kGeneral},
      {"arcsin", TANDEM_FN(arcsin), [](double x) { return std::asin(x); }, kUnit},
      {"arccos", TANDEM_FN(arccos), [](double x) { return std::acos(x); }, kUnit},
      {"arctan", TANDEM_FN(arctan), [](double x) { return std::atan(x); }, kGeneral},
      {"sinh", TANDEM_FN(sinh), [](double x) { return std::sinh(x); }, kGeneral},
      {"cosh", TANDEM_FN(cosh), [](double x) { return std::cosh(x); }, kGeneral},
      {"tanh", TANDEM_FN(tanh), [](double x) { return std::tanh(x); }, kGeneral},
      {"arcsinh", TANDEM_FN(arcsinh), [](double x) { return std::asinh(x); }, kGeneral},
      {"arccosh", TANDEM_FN(arccosh), [](double x) { return std::acosh(x); }, kAtLeastOne},
      {"arctanh", TANDEM_FN(arctanh), [](double x) { return std::atanh(x); }, kUnit},
      {"sigmoid", TANDEM_FN(sigmoid), sigmoid_ref, kGeneral},
      {"erf", TANDEM_FN(erf), [](double x) { return std::erf(x); }, kGeneral},
      {"erfinv", TANDEM_FN(erfinv), erfinv_ref, kUnit},
      {"floor", TANDEM_FN(floor), [](double x) { return std::floor(x); }, kGeneral},
      {"ceil", TANDEM_FN(ceil), [](double x) { return std::ceil(x); }, kGeneral},
      {"trunc", TANDEM_FN(trunc), [](double x) { return std::trunc(x); }, kGeneral},
      {"round", TANDEM_FN(round), [](double x) { return std::nearbyint(x); }, kGeneral},
      {"degrees", TANDEM_FN(degrees), [](double x) { return x * 180.0 / M_PI; }, kGeneral},
      {"radians", TANDEM_FN(radians), [](double x) { return x * M_PI / 180.0; }, kGeneral},
      {"stop_gradient", TANDEM_FN(stop_gradient), [](double x) { return x; }, kGeneral},
  };
  return cases;
}

}  // namespace

// Every float unary op, on every float dtype, in every layout, against a float64 reference
// evaluated at the (dtype-rounded) inputs.
DEVICE_TEST(UnaryFloat, AllOpsAllFloatDtypesAllLayouts) {
  for (const auto& c : float_cases()) {
    for (Dtype t : tandem_test::float_dtypes()) {
      for (auto& lc : layouts(c.domain, t)) {
        SCOPED_TRACE(std::string(c.name) + " " + dtype_name(t) + " " + lc.name);
        std::vector<double> in = values(lc.input);
        std::vector<double> expected;
        for (double x : in)
          expected.push_back(c.ref(x));
        array out = c.fn(lc.input, device);
        EXPECT_EQ(out.dtype(), t);
        // Two roundings (input, output) for 16-bit types and float32 math.
        EXPECT_TRUE(tandem_test::array_close(out, expected, lc.shape,
                                             2 * tandem_test::default_tolerance(t),
                                             2 * tandem_test::default_tolerance(t)));
      }
    }
  }
}

// Integer ops on every integer dtype in every layout.
DEVICE_TEST(UnaryInteger, AllLayouts) {
  const std::vector<double> v{0, 1, 2, 3, 5, 7, 9, 10, 11, 12, 13, 100};
  for (Dtype t : tandem_test::integer_dtypes()) {
    for (auto& lc : layouts(v, t)) {
      SCOPED_TRACE(dtype_name(t) + " " + lc.name);
      std::vector<double> in = values(lc.input);
      std::vector<double> sq, inv, nz, sg;
      double mod = std::ldexp(1.0, 8 * t.size);
      for (double x : in) {
        sq.push_back(std::fmod(x * x, mod) > mod / 2 - 1 && !is_unsigned(t)
                         ? std::fmod(x * x, mod) - mod
                         : std::fmod(x * x, mod));
        inv.push_back(is_unsigned(t) ? mod - 1 - x : -x - 1);
        nz.push_back(x == 0);
        sg.push_back(x > 0);
      }
      EXPECT_ARRAY_CLOSE(abs(lc.input, device), in, lc.shape, 0, 0);
      EXPECT_ARRAY_CLOSE(square(lc.input, device), sq, lc.shape, 0, 0);
      EXPECT_ARRAY_CLOSE(bitwise_invert(lc.input, device), inv, lc.shape, 0, 0);
      EXPECT_ARRAY_CLOSE(logical_not(lc.input, device), nz, lc.shape, 0, 0);
      EXPECT_ARRAY_CLOSE(sign(lc.input, device), sg, lc.shape, 0, 0);
      EXPECT_ARRAY_CLOSE(isnan(lc.input, device), std::vector<double>(in.size(), 0), lc.shape, 0,
                         0);
      EXPECT_ARRAY_CLOSE(
          sqrt(lc.input, device),
          [&] {
            std::vector<double> r;
            for (double x : in)
              r.push_back(std::sqrt(x));
            return r;
          }(),
          lc.shape);
    }
  }
}

// Integer and bool inputs of transcendental ops compute in float32.
DEVICE_TEST(UnaryFloat, IntegerInputsGiveFloat32) {
  for (Dtype t : {bool_, uint8, uint16, uint32, uint64, int8, int16, int32, int64}) {
    SCOPED_TRACE(dtype_name(t));
    array a = make({1, 0, 1}, t);
    EXPECT_ARRAY_CLOSE(exp(a, device), {M_E, 1.0, M_E}, Shape{3});
    EXPECT_EQ(exp(a, device).dtype(), float32);
    EXPECT_EQ(sqrt(a, device).dtype(), float32);
    EXPECT_EQ(sin(a, device).dtype(), float32);
    EXPECT_EQ(sigmoid(a, device).dtype(), float32);
    EXPECT_EQ(erf(a, device).dtype(), float32);
    EXPECT_EQ(log1p(a, device).dtype(), float32);
    EXPECT_EQ(reciprocal(a, device).dtype(), float32);
    EXPECT_EQ(degrees(a, device).dtype(), float32);
    EXPECT_EQ(radians(a, device).dtype(), float32);
  }
  EXPECT_ARRAY_CLOSE(sqrt(array({4, 9, 2}), device), {2, 3, M_SQRT2}, Shape{3});
  EXPECT_ARRAY_CLOSE(log2(array({uint8_t(8), uint8_t(1)}), device), {3, 0}, Shape{2});
  EXPECT_ARRAY_CLOSE(reciprocal(array({2, -4}), device), {0.5, -0.25}, Shape{2});
  EXPECT_ARRAY_CLOSE(degrees(array({int64_t(1)}), device), {180.0 / M_PI}, Shape{1});
}

DEVICE_TEST(UnaryFloat, Identities) {
  std::vector<double> xs{0.001, 0.5, 1.0, 2.0, 10.0, 80.0};
  for (Dtype t : {float32, float64}) {
    array x = make(xs, t);
    double tol = t == float32 ? 1e-6 : 1e-14;
    EXPECT_ARRAY_CLOSE(exp(log(x, device), device), xs, Shape{6}, tol, tol);
    EXPECT_ARRAY_CLOSE(log(exp(x, device), device), xs, Shape{6}, tol, tol);
    EXPECT_ARRAY_CLOSE(log1p(expm1(x, device), device), xs, Shape{6}, tol, tol);
    EXPECT_ARRAY_CLOSE(square(sqrt(x, device), device), xs, Shape{6}, tol, tol);
    EXPECT_ARRAY_CLOSE(reciprocal(reciprocal(x, device), device), xs, Shape{6}, tol, tol);
    array s = sin(x, device), c = cos(x, device);
    EXPECT_ARRAY_CLOSE(add(square(s, device), square(c, device), device),
                       std::vector<double>(6, 1.0), Shape{6}, tol, tol);
    EXPECT_ARRAY_CLOSE(subtract(divide(s, c, device), tan(x, device), device),
                       std::vector<double>(6, 0.0), Shape{6}, 0, 40 * tol);
    array small = make({-0.9, -0.3, 0.0, 0.3, 0.9}, t);
    std::vector<double> sv = values(small);
    EXPECT_ARRAY_CLOSE(arcsin(sin(small, device), device), sv, Shape{5}, tol, tol);
    EXPECT_ARRAY_CLOSE(arctanh(tanh(small, device), device), sv, Shape{5}, 4 * tol, 4 * tol);
    EXPECT_ARRAY_CLOSE(arcsinh(sinh(small, device), device), sv, Shape{5}, tol, tol);
    EXPECT_ARRAY_CLOSE(erfinv(erf(small, device), device), sv, Shape{5}, 4 * tol, 4 * tol);
    EXPECT_ARRAY_CLOSE(
        add(sigmoid(small, device), sigmoid(negative(small, device), device), device),
        std::vector<double>(5, 1.0), Shape{5}, tol, tol);
    // cosh^2 - sinh^2 = 1 (checked where it is well conditioned)
    array xm = make({0.1, 0.5, 1.0, 2.0}, t);
    array d = subtract(square(cosh(xm, device), device), square(sinh(xm, device), device), device);
    EXPECT_ARRAY_CLOSE(d, std::vector<double>(4, 1.0), Shape{4}, 10 * tol, 10 * tol);
    EXPECT_ARRAY_CLOSE(radians(degrees(x, device), device), xs, Shape{6}, tol, tol);
  }
}

// float32 exp / log / tanh / sigmoid / erf are vectorised polynomial versions on the CPU (not
// libm): their error against the float64 result stays within a few units in the last place across
// the whole range, denormal results and inputs included.
DEVICE_TEST(UnaryFloat, Float32TranscendentalsWithinFewUlp) {
  struct Case {
    const char* name;
    std::function<array(const array&)> fn;
    double (*ref)(double);
    double lo, hi;
  };
  std::vector<Case> cases{{"exp", [&](const array& x) { return exp(x, device); },
                           [](double x) { return std::exp(x); }, -103.0, 88.7},
                          {"log", [&](const array& x) { return log(x, device); },
                           [](double x) { return std::log(x); }, 1e-44, 3e38},
                          {"tanh", [&](const array& x) { return tanh(x, device); },
                           [](double x) { return std::tanh(x); }, -12.0, 12.0},
                          {"erf", [&](const array& x) { return erf(x, device); },
                           [](double x) { return std::erf(x); }, -5.0, 5.0},
                          {"sigmoid", [&](const array& x) { return sigmoid(x, device); },
                           [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, -100.0, 60.0}};
  const int n = 200001;
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<float> xs(n);
    bool geometric = std::string(c.name) == "log";
    for (int i = 0; i < n; ++i) {
      double t = static_cast<double>(i) / (n - 1);
      xs[i] = static_cast<float>(geometric ? c.lo * std::pow(c.hi / c.lo, t)
                                           : c.lo + (c.hi - c.lo) * t);
    }
    auto got = values(c.fn(array(xs.data(), Shape{n}, float32)));  // exact: float -> double
    double worst = 0;
    float worst_x = 0;
    for (int i = 0; i < n; ++i) {
      double ref = c.ref(static_cast<double>(xs[i]));
      float rf = static_cast<float>(ref);
      // One ulp of the float result (denormals: the smallest denormal).
      double ulp = std::fpclassify(rf) == FP_NORMAL ? std::ldexp(1.0, std::ilogb(rf) - 23)
                                                    : std::ldexp(1.0, -149);
      double err = std::fabs(static_cast<double>(got[i]) - ref) / ulp;
      if (!(err <= worst)) {
        worst = err;
        worst_x = xs[i];
      }
    }
    EXPECT_LE(worst, 4.0) << "worst at x = " << worst_x;
  }
}

DEVICE_TEST(UnaryFloat, SpecialValues) {
  array v = array({0.0f, -0.0f, kInfF, -kInfF, kNaNF});
  EXPECT_ARRAY_EQ(exp(v, device), std::vector<float>{1, 1, kInfF, 0, kNaNF}, Shape{5});
  EXPECT_ARRAY_EQ(log(v, device), std::vector<float>{-kInfF, -kInfF, kInfF, kNaNF, kNaNF},
                  Shape{5});
  EXPECT_ARRAY_EQ(sqrt(v, device), std::vector<float>{0, -0.0f, kInfF, kNaNF, kNaNF}, Shape{5});
  EXPECT_ARRAY_EQ(reciprocal(v, device), std::vector<float>{kInfF, -kInfF, 0, -0.0f, kNaNF},
                  Shape{5});
  EXPECT_ARRAY_EQ(rsqrt(array({0.0f}), device), std::vector<float>{kInfF}, Shape{1});
  EXPECT_ARRAY_EQ(tanh(v, device), std::vector<float>{0, -0.0f, 1, -1, kNaNF}, Shape{5});
  EXPECT_ARRAY_EQ(sigmoid(v, device), std::vector<float>{0.5, 0.5, 1, 0, kNaNF}, Shape{5});
  EXPECT_ARRAY_EQ(erf(v, device), std::vector<float>{0, -0.0f, 1, -1, kNaNF}, Shape{5});
  EXPECT_ARRAY_EQ(abs(v, device), std::vector<float>{0, 0, kInfF, kInfF, kNaNF}, Shape{5});
  EXPECT_ARRAY_EQ(floor(v, device), std::vector<float>{0, -0.0f, kInfF, -kInfF, kNaNF}, Shape{5});
  EXPECT_ARRAY_EQ(sign(v, device), std::vector<float>{0, 0, 1, -1, kNaNF}, Shape{5});
  // Out of domain gives NaN, boundaries give infinities.
  EXPECT_ARRAY_EQ(log(array({-1.0f}), device), std::vector<float>{kNaNF}, Shape{1});
  EXPECT_ARRAY_EQ(sqrt(array({-4.0f}), device), std::vector<float>{kNaNF}, Shape{1});
  EXPECT_ARRAY_EQ(arcsin(array({2.0f}), device), std::vector<float>{kNaNF}, Shape{1});
  EXPECT_ARRAY_EQ(arccosh(array({0.5f}), device), std::vector<float>{kNaNF}, Shape{1});
  EXPECT_ARRAY_EQ(arctanh(array({1.0f, -1.0f}), device), std::vector<float>{kInfF, -kInfF},
                  Shape{2});
  EXPECT_ARRAY_EQ(log1p(array({-1.0f}), device), std::vector<float>{-kInfF}, Shape{1});
  EXPECT_ARRAY_EQ(erfinv(array({1.0f, -1.0f, 2.0f, -1.5f}), device),
                  std::vector<float>{kInfF, -kInfF, kNaNF, kNaNF}, Shape{4});
  // Overflow and stability.
  EXPECT_ARRAY_EQ(exp(array({100.0f}), device), std::vector<float>{kInfF}, Shape{1});
  EXPECT_ARRAY_EQ(sigmoid(array({-1000.0f, 1000.0f}), device), std::vector<float>{0, 1}, Shape{2});
  EXPECT_ARRAY_EQ(exp(array({float16_t(12.0f)}), device), std::vector<float>{kInfF}, Shape{1});
  // Precision near zero: expm1 and log1p keep relative accuracy.
  EXPECT_ARRAY_CLOSE(expm1(array({1e-10}, float64), device), {1.00000000005e-10}, Shape{1}, 1e-14,
                     0);
  EXPECT_ARRAY_CLOSE(log1p(array({1e-10}, float64), device), {9.9999999995e-11}, Shape{1}, 1e-14,
                     0);
  // Known values.
  EXPECT_ARRAY_CLOSE(erf(array({1.0}, float64), device), {0.8427007929497149}, Shape{1});
  EXPECT_ARRAY_CLOSE(erfinv(array({0.5}, float64), device), {0.4769362762044699}, Shape{1});
  EXPECT_ARRAY_CLOSE(arctan(array({1.0}, float64), device), {M_PI / 4}, Shape{1});
  EXPECT_ARRAY_CLOSE(degrees(array({M_PI}, float64), device), {180.0}, Shape{1});
  EXPECT_ARRAY_EQ(log2(array({1024.0f, 0.125f}), device), std::vector<float>{10, -3}, Shape{2});
  EXPECT_ARRAY_EQ(log10(array({1000.0, 0.01}, float64), device), std::vector<double>{3, -2},
                  Shape{2});
}

DEVICE_TEST(UnaryRounding, Values) {
  array a = array({-2.7f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 2.7f});
  EXPECT_ARRAY_EQ(floor(a, device), std::vector<float>{-3, -2, -1, 0, 1, 2, 2}, Shape{7});
  EXPECT_ARRAY_EQ(ceil(a, device), std::vector<float>{-2, -1, -0.0f, 1, 2, 3, 3}, Shape{7});
  EXPECT_ARRAY_EQ(trunc(a, device), std::vector<float>{-2, -1, -0.0f, 0, 1, 2, 2}, Shape{7});
  // Half to even.
  EXPECT_ARRAY_EQ(round(a, device), std::vector<float>{-3, -2, -0.0f, 0, 2, 2, 3}, Shape{7});
  for (Dtype t : {float16, bfloat16, float64}) {
    array b = astype(a, t, device);
    EXPECT_EQ(round(b, device).dtype(), t);
    EXPECT_ARRAY_CLOSE(round(b, device), {-3, -2, 0, 0, 2, 2, 3}, Shape{7});
    EXPECT_ARRAY_CLOSE(floor(b, device), {-3, -2, -1, 0, 1, 2, 2}, Shape{7});
  }
  // Decimals: 0.125 * 100 = 12.5 rounds to 12 (even).
  EXPECT_ARRAY_CLOSE(round(array({0.125f, 1.2345f, -0.375f}), 2, device), {0.12, 1.23, -0.38},
                     Shape{3}, 1e-6, 1e-6);
  EXPECT_ARRAY_CLOSE(round(array({1.25, 3.14159}, float64), 1, device), {1.2, 3.1}, Shape{2}, 1e-15,
                     1e-15);
  EXPECT_ARRAY_CLOSE(round(array({1234.0f, 1250.0f}), -2, device), {1200, 1200}, Shape{2}, 1e-6,
                     1e-6);
}

DEVICE_TEST(UnaryRounding, DecimalsOnHalfTypesAndIntegers) {
  // 16-bit floats scale in float32: 10^5 would overflow float16 (and give NaN).
  array h = round(make({1.5, 0.0, -2.25}, float16), 5, device);
  EXPECT_EQ(h.dtype(), float16);
  EXPECT_ARRAY_CLOSE(h, {1.5, 0, -2.25}, Shape{3}, 0, 0);
  EXPECT_ARRAY_CLOSE(round(make({0.125, 3.0}, float16), 2, device), {0.12, 3.0}, Shape{2});
  // Negative decimals round integers to tens, hundreds, ... (half to even), as NumPy and MLX.
  EXPECT_ARRAY_EQ(round(array({1234, 1250, 1350, -1250, 49}), -2, device),
                  std::vector<int>{1200, 1200, 1400, -1200, 0}, Shape{5}, int32);
  EXPECT_ARRAY_EQ(round(array({int64_t(123456789012345)}), -3, device),
                  std::vector<int64_t>{123456789012000}, Shape{1}, int64);
  EXPECT_ARRAY_EQ(round(array({uint8_t(249), uint8_t(251)}), -1, device),
                  std::vector<uint8_t>{250, 250}, Shape{2}, uint8);
  EXPECT_ARRAY_EQ(round(array({int16_t(-15), int16_t(25)}), -1, device),
                  std::vector<int16_t>{-20, 20}, Shape{2}, int16);
}

DEVICE_TEST(UnaryRounding, IntegersPassThrough) {
  for (Dtype t : tandem_test::integer_dtypes()) {
    array a = make({3, 0, 7}, t);
    for (auto* f : {+[](const array&x, Device d) { return floor(x, d); },
                    +[](const array&x, Device d) { return ceil(x, d); },
                    +[](const array&x, Device d) { return trunc(x, d); },
                    +[](const array&x, Device d) { return round(x, d); },
                    +[](const array&x, Device d) { return round(x, 2, d); }}) {
      array r = f(a, device);
      EXPECT_EQ(r.dtype(), t);
      EXPECT_EQ(values(r), (std::vector<double>{3, 0, 7}));
    }
  }
  array b({true, false});
  EXPECT_EQ(floor(b, device).dtype(), bool_);
}

DEVICE_TEST(UnaryRounding, ComplexRejected) {
  array c(complex64_t(1.5f, 2.5f));
  EXPECT_THROW_MSG(floor(c, device), std::invalid_argument, "[floor]");
  EXPECT_THROW_MSG(ceil(c, device), std::invalid_argument, "[ceil]");
  EXPECT_THROW_MSG(trunc(c, device), std::invalid_argument, "[trunc]");
  EXPECT_THROW_MSG(round(c, device), std::invalid_argument, "[round]");
  EXPECT_THROW_MSG(round(c, 2, device), std::invalid_argument, "complex64");
}

DEVICE_TEST(UnaryArith, AbsNegativeSignSquareIntegers) {
  array i = array({-3, 0, 5, -2147483647});
  EXPECT_ARRAY_EQ(abs(i, device), std::vector<int>{3, 0, 5, 2147483647}, Shape{4}, int32);
  EXPECT_ARRAY_EQ(negative(i, device), std::vector<int>{3, 0, -5, 2147483647}, Shape{4}, int32);
  EXPECT_ARRAY_EQ(-i, std::vector<int>{3, 0, -5, 2147483647}, Shape{4}, int32);
  EXPECT_ARRAY_EQ(sign(i, device), std::vector<int>{-1, 0, 1, -1}, Shape{4}, int32);
  EXPECT_ARRAY_EQ(square(array({-3, 4}), device), std::vector<int>{9, 16}, Shape{2}, int32);

  array i8 = array({int8_t(-128), int8_t(-1), int8_t(127)});
  EXPECT_ARRAY_EQ(abs(i8, device), std::vector<int8_t>{-128, 1, 127}, Shape{3}, int8);  // wraps
  EXPECT_ARRAY_EQ(negative(i8, device), std::vector<int8_t>{-128, 1, -127}, Shape{3}, int8);
  EXPECT_ARRAY_EQ(sign(i8, device), std::vector<int8_t>{-1, -1, 1}, Shape{3}, int8);

  array u = array({uint8_t(0), uint8_t(1), uint8_t(200)});
  EXPECT_ARRAY_EQ(abs(u, device), std::vector<uint8_t>{0, 1, 200}, Shape{3}, uint8);
  EXPECT_ARRAY_EQ(negative(u, device), std::vector<uint8_t>{0, 255, 56}, Shape{3}, uint8);
  EXPECT_ARRAY_EQ(sign(u, device), std::vector<uint8_t>{0, 1, 1}, Shape{3}, uint8);
  EXPECT_ARRAY_EQ(square(u, device), std::vector<uint8_t>{0, 1, 64}, Shape{3}, uint8);  // 40000%256

  array u64 = array({uint64_t(0), uint64_t(1) << 63});
  EXPECT_ARRAY_EQ(abs(u64, device), std::vector<uint64_t>{0, uint64_t(1) << 63}, Shape{2}, uint64);
  array i64 = array({int64_t(-3000000000), int64_t(3)});
  EXPECT_ARRAY_EQ(abs(i64, device), std::vector<int64_t>{3000000000, 3}, Shape{2}, int64);
  EXPECT_ARRAY_EQ(square(i64, device), std::vector<int64_t>{9000000000000000000, 9}, Shape{2},
                  int64);
}

DEVICE_TEST(UnaryArith, Bool) {
  array b({true, false});
  // abs, sign, square of bool are the identity (bool stays bool).
  EXPECT_ARRAY_EQ(abs(b, device), std::vector<bool>{true, false}, Shape{2}, bool_);
  EXPECT_ARRAY_EQ(sign(b, device), std::vector<bool>{true, false}, Shape{2}, bool_);
  EXPECT_ARRAY_EQ(square(b, device), std::vector<bool>{true, false}, Shape{2}, bool_);
  EXPECT_THROW_MSG(negative(b, device), std::invalid_argument, "[negative]");
  EXPECT_THROW_MSG(-b, std::invalid_argument, "logical_not");
}

DEVICE_TEST(UnaryArith, HalfTypes) {
  for (Dtype t : {float16, bfloat16}) {
    array a = make({-1.5, 0.0, 2.0}, t);
    EXPECT_EQ(abs(a, device).dtype(), t);
    EXPECT_ARRAY_CLOSE(abs(a, device), {1.5, 0, 2}, Shape{3});
    EXPECT_ARRAY_CLOSE(negative(a, device), {1.5, 0, -2}, Shape{3});
    EXPECT_ARRAY_CLOSE(sign(a, device), {-1, 0, 1}, Shape{3});
    EXPECT_ARRAY_CLOSE(square(a, device), {2.25, 0, 4}, Shape{3});
    EXPECT_EQ(square(a, device).dtype(), t);
  }
}

DEVICE_TEST(UnaryComplex, Values) {
  array z = array({complex64_t(3, 4), complex64_t(0, 0), complex64_t(-1, 0)});
  EXPECT_ARRAY_EQ(abs(z, device), std::vector<float>{5, 0, 1}, Shape{3}, float32);
  EXPECT_TRUE(tandem_test::complex_close(
      sign(z, device), {complex64_t(0.6f, 0.8f), complex64_t(0, 0), complex64_t(-1, 0)}, {3}));
  EXPECT_TRUE(tandem_test::complex_close(
      negative(z, device), {complex64_t(-3, -4), complex64_t(0, 0), complex64_t(1, 0)}, {3}));
  EXPECT_TRUE(tandem_test::complex_close(
      square(z, device), {complex64_t(-7, 24), complex64_t(0, 0), complex64_t(1, 0)}, {3}));
  EXPECT_TRUE(tandem_test::complex_close(
      conjugate(z, device), {complex64_t(3, -4), complex64_t(0, 0), complex64_t(-1, 0)}, {3}));
  EXPECT_ARRAY_EQ(real(z, device), std::vector<float>{3, 0, -1}, Shape{3}, float32);
  EXPECT_ARRAY_EQ(imag(z, device), std::vector<float>{4, 0, 0}, Shape{3}, float32);
  array w = array({complex64_t(-4, 0), complex64_t(0, M_PI)});
  EXPECT_TRUE(tandem_test::complex_close(
      sqrt(w, device), {complex64_t(0, 2), complex64_t(1.2533141f, 1.2533141f)}, {2}));
  EXPECT_TRUE(tandem_test::complex_close(
      exp(w, device), {complex64_t(std::exp(-4.0f), 0), complex64_t(-1, 0)}, {2}, 1e-6));
  EXPECT_TRUE(tandem_test::complex_close(log(array({complex64_t(-1, 0)}), device),
                                         {complex64_t(0, M_PI)}, {1}));
  EXPECT_TRUE(tandem_test::complex_close(reciprocal(array({complex64_t(0, 2)}), device),
                                         {complex64_t(0, -0.5f)}, {1}));
  EXPECT_TRUE(tandem_test::complex_close(log2(array({complex64_t(8, 0)}), device),
                                         {complex64_t(3, 0)}, {1}));
  EXPECT_TRUE(tandem_test::complex_close(sin(array({complex64_t(0, 1)}), device),
                                         {complex64_t(0, std::sinh(1.0f))}, {1}));
  // sin^2 + cos^2 = 1 holds for complex arguments too.
  array zz = array({complex64_t(0.3f, -0.7f), complex64_t(1.1f, 0.2f)});
  array one = add(square(sin(zz, device), device), square(cos(zz, device), device), device);
  EXPECT_TRUE(tandem_test::complex_close(one, {complex64_t(1, 0), complex64_t(1, 0)}, {2}, 1e-5));
}

DEVICE_TEST(UnaryComplex, RealImagConjOfRealInputs) {
  array a = array({1.5f, -2.0f});
  EXPECT_EQ(real(a, device).id(), a.id());
  EXPECT_EQ(conjugate(a, device).id(), a.id());
  EXPECT_ARRAY_EQ(imag(a, device), std::vector<float>{0, 0}, Shape{2}, float32);
  EXPECT_ARRAY_EQ(imag(array({3, 4}), device), std::vector<int>{0, 0}, Shape{2}, int32);
}

DEVICE_TEST(UnaryComplex, UnsupportedOps) {
  array z = array({complex64_t(1, 1)});
  EXPECT_THROW_MSG(sigmoid(z, device), std::invalid_argument, "[sigmoid]");
  EXPECT_THROW_MSG(erf(z, device), std::invalid_argument, "[erf]");
  EXPECT_THROW_MSG(erfinv(z, device), std::invalid_argument, "[erfinv]");
  EXPECT_THROW_MSG(erf(z, device), std::invalid_argument, "complex64");
  EXPECT_THROW_MSG(bitwise_invert(z, device), std::invalid_argument, "[bitwise_invert]");
}

DEVICE_TEST(UnaryLogical, LogicalNot) {
  EXPECT_ARRAY_EQ(logical_not(array({true, false}), device), std::vector<bool>{false, true},
                  Shape{2}, bool_);
  EXPECT_ARRAY_EQ(!array({0, 3, -1}), std::vector<bool>{true, false, false}, Shape{3}, bool_);
  EXPECT_ARRAY_EQ(logical_not(array({0.0f, kNaNF, -0.0f, 0.5f}), device),
                  std::vector<bool>{true, false, true, false}, Shape{4}, bool_);
  EXPECT_ARRAY_EQ(logical_not(array({complex64_t(0, 0), complex64_t(0, 1)}), device),
                  std::vector<bool>{true, false}, Shape{2}, bool_);
  for (Dtype t : tandem_test::all_dtypes()) {
    array a = make({0, 2, 0, 1}, {2, 2}, t);
    EXPECT_ARRAY_EQ(logical_not(transpose(a, device), device),
                    std::vector<bool>{true, true, false, false}, Shape{2, 2}, bool_);
  }
}

DEVICE_TEST(UnaryLogical, BitwiseInvert) {
  EXPECT_ARRAY_EQ(bitwise_invert(array({0, 5, -1}), device), std::vector<int>{-1, -6, 0}, Shape{3},
                  int32);
  EXPECT_ARRAY_EQ(~array({uint8_t(0), uint8_t(0xF0)}), std::vector<uint8_t>{255, 0x0F}, Shape{2},
                  uint8);
  EXPECT_ARRAY_EQ(~array({int8_t(0), int8_t(127)}), std::vector<int8_t>{-1, -128}, Shape{2}, int8);
  EXPECT_ARRAY_EQ(~array({uint16_t(1)}), std::vector<uint16_t>{0xFFFE}, Shape{1}, uint16);
  EXPECT_ARRAY_EQ(~array({uint32_t(0)}), std::vector<uint32_t>{0xFFFFFFFFu}, Shape{1}, uint32);
  EXPECT_ARRAY_EQ(~array({uint64_t(0)}), std::vector<uint64_t>{~uint64_t(0)}, Shape{1}, uint64);
  EXPECT_ARRAY_EQ(~array({int64_t(-2)}), std::vector<int64_t>{1}, Shape{1}, int64);
  EXPECT_ARRAY_EQ(~array({int16_t(7)}), std::vector<int16_t>{-8}, Shape{1}, int16);
  EXPECT_ARRAY_EQ(~array({true, false}), std::vector<bool>{false, true}, Shape{2}, bool_);
  for (Dtype t : {float16, bfloat16, float32, float64}) {
    EXPECT_THROW_MSG(bitwise_invert(make({1}, t), device), std::invalid_argument,
                     "[bitwise_invert]");
    EXPECT_THROW_MSG(~make({1}, t), std::invalid_argument, dtype_name(t));
  }
}

DEVICE_TEST(UnaryPredicates, NanInf) {
  for (Dtype t : {float16, bfloat16, float32, float64}) {
    SCOPED_TRACE(dtype_name(t));
    array a = make({kNaN, kInf, -kInf, 1.0, 0.0, -2.0}, t);
    EXPECT_ARRAY_EQ(isnan(a, device), std::vector<bool>{1, 0, 0, 0, 0, 0}, Shape{6}, bool_);
    EXPECT_ARRAY_EQ(isinf(a, device), std::vector<bool>{0, 1, 1, 0, 0, 0}, Shape{6}, bool_);
    EXPECT_ARRAY_EQ(isposinf(a, device), std::vector<bool>{0, 1, 0, 0, 0, 0}, Shape{6}, bool_);
    EXPECT_ARRAY_EQ(isneginf(a, device), std::vector<bool>{0, 0, 1, 0, 0, 0}, Shape{6}, bool_);
    EXPECT_ARRAY_EQ(isfinite(a, device), std::vector<bool>{0, 0, 0, 1, 1, 1}, Shape{6}, bool_);
    // Strided input.
    array s = slice(a, {0}, {6}, {2}, device);  // nan, -inf, 0
    EXPECT_ARRAY_EQ(isnan(s, device), std::vector<bool>{1, 0, 0}, Shape{3});
    EXPECT_ARRAY_EQ(isinf(s, device), std::vector<bool>{0, 1, 0}, Shape{3});
  }
  for (Dtype t : {bool_, uint8, int32, int64, uint64}) {
    array a = make({0, 1}, t);
    EXPECT_ARRAY_EQ(isnan(a, device), std::vector<bool>{0, 0}, Shape{2}, bool_);
    EXPECT_ARRAY_EQ(isinf(a, device), std::vector<bool>{0, 0}, Shape{2}, bool_);
    EXPECT_ARRAY_EQ(isposinf(a, device), std::vector<bool>{0, 0}, Shape{2}, bool_);
    EXPECT_ARRAY_EQ(isfinite(a, device), std::vector<bool>{1, 1}, Shape{2}, bool_);
  }
  array z = array({complex64_t(kNaNF, 0), complex64_t(0, kInfF), complex64_t(1, 2)});
  EXPECT_ARRAY_EQ(isnan(z, device), std::vector<bool>{1, 0, 0}, Shape{3});
  EXPECT_ARRAY_EQ(isinf(z, device), std::vector<bool>{0, 1, 0}, Shape{3});
  EXPECT_ARRAY_EQ(isfinite(z, device), std::vector<bool>{0, 0, 1}, Shape{3});
  // 0-d and empty.
  EXPECT_ARRAY_EQ(isnan(array(kNaNF), device), std::vector<bool>{1}, Shape{});
  EXPECT_ARRAY_EQ(isinf(array(std::vector<float>{}, {0}), device), std::vector<bool>{}, Shape{0});
}

DEVICE_TEST(UnaryPredicates, NanToNum) {
  array a = array({kNaNF, kInfF, -kInfF, 1.5f});
  EXPECT_ARRAY_EQ(nan_to_num(a, 0.0f, std::nullopt, std::nullopt, device),
                  std::vector<float>{0, FLT_MAX, -FLT_MAX, 1.5}, Shape{4}, float32);
  EXPECT_ARRAY_EQ(nan_to_num(a, 5.0f, 100.0f, -100.0f, device),
                  std::vector<float>{5, 100, -100, 1.5}, Shape{4}, float32);
  EXPECT_ARRAY_EQ(
      nan_to_num(array({kNaN, kInf, -kInf}, float64), 0.0f, std::nullopt, std::nullopt, device),
      std::vector<double>{0, DBL_MAX, -DBL_MAX}, Shape{3}, float64);
  EXPECT_ARRAY_CLOSE(
      nan_to_num(make({kNaN, kInf, -kInf}, float16), 0.0f, std::nullopt, std::nullopt, device),
      {0, 65504, -65504}, Shape{3}, 0, 0);
  EXPECT_EQ(nan_to_num(make({kNaN}, float16), 0.0f, std::nullopt, std::nullopt, device).dtype(),
            float16);
  EXPECT_ARRAY_CLOSE(
      nan_to_num(make({kNaN, kInf, -kInf}, bfloat16), -1.0f, std::nullopt, std::nullopt, device),
      {-1, 3.3895313892515355e38, -3.3895313892515355e38}, Shape{3}, 0, 0);
  // Transposed input keeps its values in the right places.
  array m = transpose(array({kNaNF, 1.0f, 2.0f, kInfF}, {2, 2}), device);
  EXPECT_ARRAY_EQ(nan_to_num(m, 9.0f, 8.0f, std::nullopt, device), std::vector<float>{9, 2, 1, 8},
                  Shape{2, 2});
  // Integers are returned unchanged.
  array i = array({1, 2});
  EXPECT_EQ(nan_to_num(i, 0.0f, std::nullopt, std::nullopt, device).id(), i.id());
}

DEVICE_TEST(UnaryPredicates, NanToNumArgumentsAndLayouts) {
  // posinf / neginf given for every float dtype.
  for (Dtype t : {float16, bfloat16, float32, float64}) {
    SCOPED_TRACE(dtype_name(t));
    array a = make({kNaN, kInf, -kInf, -0.5}, t);
    array r = nan_to_num(a, 1.0f, 2.0f, -3.0f, device);
    EXPECT_EQ(r.dtype(), t);
    EXPECT_ARRAY_CLOSE(r, {1, 2, -3, -0.5}, Shape{4}, 0, 0);
    // Only neginf given: +inf goes to the dtype's max.
    EXPECT_ARRAY_CLOSE(
        nan_to_num(a, 0.0f, std::nullopt, -7.0f, device),
        {0, values(nan_to_num(make({kInf}, t), 0.0f, std::nullopt, std::nullopt, device))[0], -7,
         -0.5},
        Shape{4}, 0, 0);
  }
  EXPECT_ARRAY_EQ(nan_to_num(array(kNaNF), 4.0f, std::nullopt, std::nullopt, device),
                  std::vector<float>{4}, Shape{});
  EXPECT_ARRAY_EQ(
      nan_to_num(array(std::vector<float>{}, {0, 2}), 0.0f, std::nullopt, std::nullopt, device),
      std::vector<float>{}, Shape{0, 2});
  // A strided slice and a broadcast input.
  array s = slice(array({kNaNF, 9.0f, kInfF, 9.0f, -kInfF}), {0}, {5}, {2}, device);
  EXPECT_ARRAY_EQ(nan_to_num(s, -1.0f, 10.0f, -10.0f, device), std::vector<float>{-1, 10, -10},
                  Shape{3});
  array b = broadcast_to(array({kNaNF, 1.0f}, {1, 2}), {2, 2}, device);
  EXPECT_ARRAY_EQ(nan_to_num(b, 5.0f, std::nullopt, std::nullopt, device),
                  std::vector<float>{5, 1, 5, 1}, Shape{2, 2});
  // bool passes through; complex64 is rejected (MLX).
  array t = array({true, false});
  EXPECT_EQ(nan_to_num(t, 0.0f, std::nullopt, std::nullopt, device).id(), t.id());
  EXPECT_THROW_MSG(
      nan_to_num(array({complex64_t(kNaNF, 0)}), 0.0f, std::nullopt, std::nullopt, device),
      std::invalid_argument, "[nan_to_num] Not supported for complex64.");
}

DEVICE_TEST(UnaryFloat, DegreesRadiansErfinvValues) {
  EXPECT_ARRAY_CLOSE(radians(array({180.0, -90.0, 0.0, 45.0}, float64), device),
                     {M_PI, -M_PI / 2, 0, M_PI / 4}, Shape{4});
  EXPECT_ARRAY_CLOSE(degrees(array({M_PI / 2, -M_PI, 1.0}, float64), device),
                     {90, -180, 180 / M_PI}, Shape{3});
  // Integer inputs give float32; half types keep theirs.
  EXPECT_ARRAY_CLOSE(radians(array({180, 90}), device), {M_PI, M_PI / 2}, Shape{2});
  EXPECT_EQ(degrees(array({1, 2}), device).dtype(), float32);
  array h = degrees(make({M_PI}, float16), device);
  EXPECT_EQ(h.dtype(), float16);
  EXPECT_ARRAY_CLOSE(h, {180}, Shape{1});
  EXPECT_ARRAY_CLOSE(
      radians(transpose(array({0.0f, 90.0f, 180.0f, 270.0f}, {2, 2}), device), device),
      {0, M_PI, M_PI / 2, 1.5 * M_PI}, Shape{2, 2});
  // erfinv at known points (float64 references), odd symmetry, and erf(erfinv(y)) = y.
  std::vector<double> y{0.0, 0.5, -0.5, 0.9, -0.999, 0.1};
  std::vector<double> ref{0.0,
                          0.4769362762044699,
                          -0.4769362762044699,
                          1.1630871536766743,
                          -2.3267537655135246,
                          0.08885599049425769};
  EXPECT_ARRAY_CLOSE(erfinv(array(y, {6}, float64), device), ref, Shape{6}, 1e-10, 1e-12);
  EXPECT_ARRAY_CLOSE(erfinv(array(y, {6}, float32), device), ref, Shape{6}, 2e-5, 1e-6);
  EXPECT_ARRAY_CLOSE(erf(erfinv(array(y, {6}, float64), device), device), y, Shape{6}, 1e-12,
                     1e-12);
  EXPECT_ARRAY_EQ(erfinv(array({0}), device), std::vector<float>{0}, Shape{1}, float32);
}

DEVICE_TEST(UnaryRounding, HalfToEvenAndDecimals) {
  EXPECT_ARRAY_EQ(round(array({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 3.5f}), device),
                  std::vector<float>{0, 2, 2, -0.0f, -2, 4}, Shape{6});
  // Negative decimals on floats: 1250 -> 1200, 1350 -> 1400 (half to even at the hundreds).
  EXPECT_ARRAY_EQ(round(array({1250.0f, 1350.0f, -2550.0f, 49.0f}), -2, device),
                  std::vector<float>{1200, 1400, -2600, 0}, Shape{4});
  // Scale, round half to even, unscale, as MLX: 2.675 * 100 rounds to exactly 267.5 in double,
  // which goes to 268 (Python's correctly rounded round(2.675, 2) is 2.67); 0.125 * 100 = 12.5
  // goes to 12.
  EXPECT_ARRAY_CLOSE(round(array({2.675, -1.005, 0.125}, float64), 2, device), {2.68, -1.0, 0.12},
                     Shape{3}, 1e-15, 1e-15);
  // Transposed input with decimals.
  EXPECT_ARRAY_CLOSE(
      round(transpose(array({1.234f, 5.678f, 9.876f, 0.011f}, {2, 2}), device), 1, device),
      {1.2, 9.9, 5.7, 0.0}, Shape{2, 2}, 1e-6, 1e-6);
}

DEVICE_TEST(UnaryShapes, ZeroDimAndEmptyKeepShapes) {
  for (auto f : {+[](const array&x, Device d) { return exp(x, d); },
                 +[](const array&x, Device d) { return abs(x, d); },
                 +[](const array&x, Device d) { return logical_not(x, d); },
                 +[](const array&x, Device d) { return isnan(x, d); },
                 +[](const array&x, Device d) { return floor(x, d); },
                 +[](const array&x, Device d) { return square(x, d); }}) {
    array s = f(array(2.0f), device);
    EXPECT_EQ(s.shape(), Shape{});
    s.eval();
    EXPECT_EQ(s.size(), 1u);
    array e = f(array(std::vector<float>{}, {3, 0}), device);
    EXPECT_EQ(e.shape(), (Shape{3, 0}));
    EXPECT_TRUE(values(e).empty());
  }
}

DEVICE_TEST(UnaryShapes, LargeInputsUseThreads) {
  const int n = 1 << 18;  // above the parallel grain
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i)
    v[i] = static_cast<float>(i % 1000) * 0.01f;
  array a(v, {n});
  auto got = exp(a, device).to_vector<float>();
  for (int i = 0; i < n; i += 997)
    EXPECT_NEAR(got[i], std::exp(v[i]), 1e-6 * std::exp(v[i]));
  // Strided (transposed) large input.
  array t = transpose(reshape(a, {512, 512}), device);
  auto gt = negative(t, device).to_vector<float>();
  EXPECT_EQ(gt[1], -v[512]);
  EXPECT_EQ(gt[512 * 3 + 7], -v[7 * 512 + 3]);
}

// 16-bit inputs of at least 2^16 elements read costly functions from a table of their 65536
// results (backend/cpu/unary.cpp). Every bit pattern, contiguous and transposed, must give the
// same bits as the float32 evaluation rounded once, which is what smaller inputs compute.
TEST(UnaryHalfTables, EveryBitPatternMatchesFloat32RoundedOnce) {
  const Device cpu(Device::cpu);
  const char* names[] = {"exp",  "expm1",   "log",     "log1p",   "log2",    "log10", "sin",
                         "cos",  "tan",     "arcsin",  "arccos",  "arctan",  "sinh",  "cosh",
                         "tanh", "arcsinh", "arccosh", "arctanh", "sigmoid", "erf",   "erfinv"};
  for (Dtype t : {bfloat16, float16}) {
    array bits = arange(0, 65536, uint16, cpu);
    array x = view(bits, t, cpu);  // every 16-bit pattern once, NaNs and infinities included
    array xt = transpose(reshape(x, {256, 256}, cpu), cpu);  // strided loop
    for (const char* name : names) {
      const FloatCase* fc = nullptr;
      for (const auto& c : float_cases())
        if (std::string(c.name) == name) fc = &c;
      ASSERT_NE(fc, nullptr) << name;
      auto same_bits = [&](const array& got, const array& want) {
        auto g = view(got, uint16, cpu).to_vector<uint16_t>();
        auto w = view(want, uint16, cpu).to_vector<uint16_t>();
        auto gf = astype(got, float32, cpu).to_vector<float>();
        auto wf = astype(want, float32, cpu).to_vector<float>();
        ASSERT_EQ(g.size(), w.size());
        int bad = 0;
        for (size_t i = 0; i < g.size() && bad < 5; ++i) {
          if (g[i] != w[i] && !(std::isnan(gf[i]) && std::isnan(wf[i]))) {
            ADD_FAILURE() << name << " " << t << " at " << i << ": " << g[i] << " vs " << w[i];
            ++bad;
          }
        }
      };
      array want = astype(fc->fn(astype(x, float32, cpu), cpu), t, cpu);
      same_bits(fc->fn(x, cpu), want);
      same_bits(fc->fn(xt, cpu), transpose(reshape(want, {256, 256}, cpu), cpu));
    }
  }
}

DEVICE_TEST(UnaryGpu, MatchesCpu) {
  EXPECT_MATCHES_CPU([](Device d) { return tanh(array({-2.0f, 0.5f, 3.0f}), d); });
  EXPECT_MATCHES_CPU([](Device d) { return erfinv(make({-0.5, 0.2, 0.9}, bfloat16), d); });
  EXPECT_MATCHES_CPU([](Device d) { return sqrt(make({1, 2, 3}, float16), d); });
}
