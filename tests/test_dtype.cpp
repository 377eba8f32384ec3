// Copyright © 2026 Tandem authors.
// Dtypes: sizes, names, categories and the type-promotion table (MLX's rules).
#include <sstream>

#include "harness.h"

using namespace tandem;
using tandem_test::all_dtypes;

TEST(Dtype, SizesAndNames) {
  struct Case {
    Dtype t;
    size_t size;
    const char* name;
  };
  std::vector<Case> cases{
      {bool_, 1, "bool"},        {uint8, 1, "uint8"},        {uint16, 2, "uint16"},
      {uint32, 4, "uint32"},     {uint64, 8, "uint64"},      {int8, 1, "int8"},
      {int16, 2, "int16"},       {int32, 4, "int32"},        {int64, 8, "int64"},
      {float16, 2, "float16"},   {float32, 4, "float32"},    {float64, 8, "float64"},
      {bfloat16, 2, "bfloat16"}, {complex64, 8, "complex64"}};
  ASSERT_EQ(cases.size(), static_cast<size_t>(num_dtypes));
  for (auto& c : cases) {
    EXPECT_EQ(size_of(c.t), c.size) << c.name;
    EXPECT_EQ(c.t.size, c.size) << c.name;
    EXPECT_EQ(dtype_name(c.t), c.name);
    std::ostringstream os;
    os << c.t;
    EXPECT_EQ(os.str(), c.name);
  }
  EXPECT_EQ(sizeof(float16_t), 2u);
  EXPECT_EQ(sizeof(bfloat16_t), 2u);
  EXPECT_EQ(sizeof(complex64_t), 8u);
}

TEST(Dtype, Equality) {
  EXPECT_TRUE(float32 == float32);
  EXPECT_FALSE(float32 == float16);
  EXPECT_TRUE(int32 != uint32);
  // Same size, different type.
  EXPECT_NE(float16, bfloat16);
  EXPECT_NE(int64, complex64);
}

TEST(Dtype, DtypeOfCxxTypes) {
  EXPECT_EQ(dtype_of<bool>(), bool_);
  EXPECT_EQ(dtype_of<uint8_t>(), uint8);
  EXPECT_EQ(dtype_of<uint16_t>(), uint16);
  EXPECT_EQ(dtype_of<uint32_t>(), uint32);
  EXPECT_EQ(dtype_of<uint64_t>(), uint64);
  EXPECT_EQ(dtype_of<int8_t>(), int8);
  EXPECT_EQ(dtype_of<int16_t>(), int16);
  EXPECT_EQ(dtype_of<int32_t>(), int32);
  EXPECT_EQ(dtype_of<int64_t>(), int64);
  EXPECT_EQ(dtype_of<long>(), int64);
  EXPECT_EQ(dtype_of<long long>(), int64);
  EXPECT_EQ(dtype_of<unsigned long>(), uint64);
  EXPECT_EQ(dtype_of<unsigned long long>(), uint64);
  EXPECT_EQ(dtype_of<float16_t>(), float16);
  EXPECT_EQ(dtype_of<bfloat16_t>(), bfloat16);
  EXPECT_EQ(dtype_of<float>(), float32);
  EXPECT_EQ(dtype_of<double>(), float64);
  EXPECT_EQ(dtype_of<complex64_t>(), complex64);
}

TEST(Dtype, Kinds) {
  EXPECT_EQ(kindof(bool_), Dtype::Kind::b);
  for (auto t : {uint8, uint16, uint32, uint64})
    EXPECT_EQ(kindof(t), Dtype::Kind::u) << t;
  for (auto t : {int8, int16, int32, int64})
    EXPECT_EQ(kindof(t), Dtype::Kind::i) << t;
  for (auto t : {float16, bfloat16, float32, float64})
    EXPECT_EQ(kindof(t), Dtype::Kind::f) << t;
  EXPECT_EQ(kindof(complex64), Dtype::Kind::c);
}

TEST(Dtype, Predicates) {
  for (auto t : all_dtypes()) {
    bool fl = t == float16 || t == bfloat16 || t == float32 || t == float64;
    bool cx = t == complex64;
    bool un = t == bool_ || t == uint8 || t == uint16 || t == uint32 || t == uint64;
    EXPECT_EQ(is_floating_point(t), fl) << t;
    EXPECT_EQ(is_complex(t), cx) << t;
    EXPECT_EQ(is_inexact(t), fl || cx) << t;
    EXPECT_EQ(is_integral(t), !fl && !cx && t != bool_) << t;
    EXPECT_EQ(is_unsigned(t), un) << t;
  }
}

TEST(Dtype, IsSubdtype) {
  // dtype vs category
  EXPECT_TRUE(issubdtype(float16, floating));
  EXPECT_TRUE(issubdtype(bfloat16, floating));
  EXPECT_TRUE(issubdtype(float64, inexact));
  EXPECT_TRUE(issubdtype(complex64, inexact));
  EXPECT_TRUE(issubdtype(complex64, complexfloating));
  EXPECT_FALSE(issubdtype(complex64, floating));
  EXPECT_TRUE(issubdtype(int8, signedinteger));
  EXPECT_FALSE(issubdtype(uint8, signedinteger));
  EXPECT_TRUE(issubdtype(uint64, unsignedinteger));
  EXPECT_TRUE(issubdtype(uint64, integer));
  EXPECT_TRUE(issubdtype(int64, integer));
  EXPECT_FALSE(issubdtype(float32, integer));
  EXPECT_TRUE(issubdtype(int32, number));
  EXPECT_FALSE(issubdtype(bool_, number));
  EXPECT_FALSE(issubdtype(bool_, integer));
  for (auto t : all_dtypes())
    EXPECT_TRUE(issubdtype(t, generic)) << t;
  // dtype vs dtype
  EXPECT_TRUE(issubdtype(float32, float32));
  EXPECT_FALSE(issubdtype(float32, float64));
  // category vs category
  EXPECT_TRUE(issubdtype(floating, inexact));
  EXPECT_TRUE(issubdtype(complexfloating, inexact));
  EXPECT_TRUE(issubdtype(signedinteger, integer));
  EXPECT_TRUE(issubdtype(unsignedinteger, integer));
  EXPECT_TRUE(issubdtype(integer, number));
  EXPECT_TRUE(issubdtype(inexact, number));
  EXPECT_TRUE(issubdtype(number, generic));
  EXPECT_FALSE(issubdtype(integer, floating));
  EXPECT_FALSE(issubdtype(inexact, floating));
  EXPECT_FALSE(issubdtype(generic, number));
  // A category is never a subtype of one concrete dtype.
  EXPECT_FALSE(issubdtype(floating, float32));
}

TEST(Dtype, CategoryNames) {
  std::ostringstream os;
  os << floating << " " << unsignedinteger << " " << generic;
  EXPECT_EQ(os.str(), "floating unsignedinteger generic");
}

// The full table, written out independently of the implementation (MLX's promotion table).
// Rows and columns in the order bool, u8, u16, u32, u64, i8, i16, i32, i64, f16, f32, f64, bf16,
// c64.
TEST(Dtype, PromotionTable) {
  const Dtype B = bool_, U8 = uint8, U16 = uint16, U32 = uint32, U64 = uint64, I8 = int8,
              I16 = int16, I32 = int32, I64 = int64, F16 = float16, F32 = float32, F64 = float64,
              BF = bfloat16, C = complex64;
  const std::vector<Dtype> order{B, U8, U16, U32, U64, I8, I16, I32, I64, F16, F32, F64, BF, C};
  // clang-format off
  const std::vector<std::vector<Dtype>> table{
      /* B   */ {B,   U8,  U16, U32, U64, I8,  I16, I32, I64, F16, F32, F64, BF,  C},
      /* U8  */ {U8,  U8,  U16, U32, U64, I16, I16, I32, I64, F16, F32, F64, BF,  C},
      /* U16 */ {U16, U16, U16, U32, U64, I32, I32, I32, I64, F16, F32, F64, BF,  C},
      /* U32 */ {U32, U32, U32, U32, U64, I64, I64, I64, I64, F16, F32, F64, BF,  C},
      /* U64 */ {U64, U64, U64, U64, U64, F32, F32, F32, F32, F16, F32, F64, BF,  C},
      /* I8  */ {I8,  I16, I32, I64, F32, I8,  I16, I32, I64, F16, F32, F64, BF,  C},
      /* I16 */ {I16, I16, I32, I64, F32, I16, I16, I32, I64, F16, F32, F64, BF,  C},
      /* I32 */ {I32, I32, I32, I64, F32, I32, I32, I32, I64, F16, F32, F64, BF,  C},
      /* I64 */ {I64, I64, I64, I64, F32, I64, I64, I64, I64, F16, F32, F64, BF,  C},
      /* F16 */ {F16, F16, F16, F16, F16, F16, F16, F16, F16, F16, F32, F64, F32, C},
      /* F32 */ {F32, F32, F32, F32, F32, F32, F32, F32, F32, F32, F32, F64, F32, C},
      /* F64 */ {F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, C},
      /* BF  */ {BF,  BF,  BF,  BF,  BF,  BF,  BF,  BF,  BF,  F32, F32, F64, BF,  C},
      /* C   */ {C,   C,   C,   C,   C,   C,   C,   C,   C,   C,   C,   C,   C,   C},
  };
  // clang-format on
  for (size_t i = 0; i < order.size(); ++i) {
    for (size_t j = 0; j < order.size(); ++j) {
      EXPECT_EQ(promote_types(order[i], order[j]), table[i][j]) << order[i] << " with " << order[j];
    }
  }
}

TEST(Dtype, PromotionIsSymmetricAndIdempotent) {
  for (auto a : all_dtypes()) {
    EXPECT_EQ(promote_types(a, a), a);
    for (auto b : all_dtypes()) {
      EXPECT_EQ(promote_types(a, b), promote_types(b, a)) << a << " " << b;
    }
  }
}

TEST(Dtype, ResultType) {
  array a(int8_t(1)), b(uint8_t(1)), c(1.0f);
  EXPECT_EQ(result_type(a, b), int16);
  EXPECT_EQ(result_type({a, b}), int16);
  EXPECT_EQ(result_type({a, b, c}), float32);
  EXPECT_EQ(result_type({array(true)}), bool_);
  EXPECT_EQ(result_type({array(float16_t(1.0f)), array(bfloat16_t(1.0f))}), float32);
  EXPECT_THROW_MSG(result_type(std::vector<array>{}), std::invalid_argument, "[result_type]");
}

// --------------------------- 16-bit float storage types ---------------------------

TEST(HalfTypes, Float16RoundTrip) {
  // Exactly representable values survive.
  for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 0.000060975551605224609375f /* min normal */,
                  5.9604644775390625e-08f /* min subnormal */}) {
    EXPECT_EQ(static_cast<float>(float16_t(v)), v);
  }
  // Round to nearest even: 2049 lies between 2048 and 2050.
  EXPECT_EQ(static_cast<float>(float16_t(2049.0f)), 2048.0f);
  EXPECT_EQ(static_cast<float>(float16_t(2051.0f)), 2052.0f);
  EXPECT_EQ(static_cast<float>(float16_t(0.1f)), 0.0999755859375f);
  // Overflow to infinity, NaN stays NaN, signs survive.
  EXPECT_TRUE(std::isinf(static_cast<float>(float16_t(70000.0f))));
  EXPECT_TRUE(std::isinf(static_cast<float>(float16_t(-70000.0f))));
  EXPECT_LT(static_cast<float>(float16_t(-70000.0f)), 0.0f);
  EXPECT_TRUE(std::isnan(static_cast<float>(float16_t(std::nanf("")))));
  EXPECT_TRUE(std::signbit(static_cast<float>(float16_t(-0.0f))));
  // Below half the smallest subnormal flushes to zero.
  EXPECT_EQ(static_cast<float>(float16_t(1e-9f)), 0.0f);
  EXPECT_EQ(float16_t(1.0f).bits, 0x3c00);
  EXPECT_EQ(float16_t(-2.0f).bits, 0xc000);
}

TEST(HalfTypes, BFloat16RoundTrip) {
  for (float v : {0.0f, 1.0f, -2.5f, 256.0f, 3.3895313892515355e38f}) {
    EXPECT_EQ(static_cast<float>(bfloat16_t(v)), v);
  }
  EXPECT_EQ(static_cast<float>(bfloat16_t(257.0f)), 256.0f);  // ties to even
  EXPECT_EQ(static_cast<float>(bfloat16_t(259.0f)), 260.0f);
  EXPECT_EQ(static_cast<float>(bfloat16_t(0.1f)), 0.10009765625f);
  EXPECT_TRUE(std::isnan(static_cast<float>(bfloat16_t(std::nanf("")))));
  EXPECT_TRUE(std::isinf(static_cast<float>(bfloat16_t(INFINITY))));
  EXPECT_EQ(bfloat16_t(1.0f).bits, 0x3f80);
}

TEST(Dtype, FinfoIinfo) {
  EXPECT_EQ(finfo(float32).eps, std::numeric_limits<float>::epsilon());
  EXPECT_EQ(finfo(float32).max, std::numeric_limits<float>::max());
  EXPECT_EQ(finfo(float32).min, -static_cast<double>(std::numeric_limits<float>::max()));
  EXPECT_EQ(finfo(float64).eps, std::numeric_limits<double>::epsilon());
  EXPECT_EQ(finfo(float16).max, 65504.0);
  EXPECT_EQ(finfo(float16).eps, 0.0009765625);
  EXPECT_EQ(finfo(bfloat16).eps, 0.0078125);
  EXPECT_EQ(finfo(bfloat16).max, 3.3895313892515355e38);
  EXPECT_EQ(finfo(complex64).eps, std::numeric_limits<float>::epsilon());
  EXPECT_EQ(finfo(float16).dtype, float16);
  EXPECT_THROW_MSG((void)finfo(int32), std::invalid_argument, "[finfo]");
  EXPECT_EQ(iinfo(int8).min, -128);
  EXPECT_EQ(iinfo(int8).max, 127u);
  EXPECT_EQ(iinfo(uint64).min, 0);
  EXPECT_EQ(iinfo(uint64).max, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(iinfo(int64).min, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(iinfo(uint16).max, 65535u);
  EXPECT_THROW_MSG((void)iinfo(float32), std::invalid_argument, "[iinfo]");
  EXPECT_THROW_MSG((void)iinfo(bool_), std::invalid_argument, "[iinfo]");
}

TEST(Dtype, ResultTypeOfThreeAndNormalizeAxisIndex) {
  EXPECT_EQ(result_type(array(1), array(1.f), array(true)), float32);
  EXPECT_EQ(result_type(array(int8_t(1)), array(uint8_t(1)), array(true)), int16);
  EXPECT_EQ(normalize_axis_index(-1, 3), 2);
  EXPECT_EQ(normalize_axis_index(2, 3), 2);
  EXPECT_EQ(normalize_axis_index(-3, 3), 0);
  EXPECT_THROW_MSG(normalize_axis_index(3, 3, "[op]"), std::invalid_argument,
                   "[op] Axis 3 is out of bounds for array with 3 dimensions.");
  EXPECT_THROW_MSG(normalize_axis_index(-4, 3), std::invalid_argument, "Axis -4");
}
