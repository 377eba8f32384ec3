// Copyright © 2026 Tandem authors.
#pragma once

#include <complex>
#include <cstdint>
#include <ostream>
#include <string>

#include "tandem/half_types.h"

namespace tandem {

using complex64_t = std::complex<float>;

/// An element type. Mirrors MLX's Dtype: a value tag plus the size in bytes.
struct Dtype {
  enum class Val : uint8_t {
    bool_,
    uint8,
    uint16,
    uint32,
    uint64,
    int8,
    int16,
    int32,
    int64,
    float16,
    float32,
    float64,
    bfloat16,
    complex64,
  };

  /// Families used by promotion and by `issubdtype`.
  enum class Kind : uint8_t { b, u, i, f, c, V };

  enum class Category {
    complexfloating,
    floating,
    inexact,
    signedinteger,
    unsignedinteger,
    integer,
    number,
    generic
  };

  Val val;
  uint8_t size;
  constexpr Dtype(Val v, uint8_t s) : val(v), size(s) {}
  constexpr operator Val() const { return val; }
};

inline constexpr Dtype bool_{Dtype::Val::bool_, 1};
inline constexpr Dtype uint8{Dtype::Val::uint8, 1};
inline constexpr Dtype uint16{Dtype::Val::uint16, 2};
inline constexpr Dtype uint32{Dtype::Val::uint32, 4};
inline constexpr Dtype uint64{Dtype::Val::uint64, 8};
inline constexpr Dtype int8{Dtype::Val::int8, 1};
inline constexpr Dtype int16{Dtype::Val::int16, 2};
inline constexpr Dtype int32{Dtype::Val::int32, 4};
inline constexpr Dtype int64{Dtype::Val::int64, 8};
inline constexpr Dtype float16{Dtype::Val::float16, 2};
inline constexpr Dtype float32{Dtype::Val::float32, 4};
inline constexpr Dtype float64{Dtype::Val::float64, 8};
inline constexpr Dtype bfloat16{Dtype::Val::bfloat16, 2};
inline constexpr Dtype complex64{Dtype::Val::complex64, 8};

inline constexpr Dtype::Category complexfloating = Dtype::Category::complexfloating;
inline constexpr Dtype::Category floating = Dtype::Category::floating;
inline constexpr Dtype::Category inexact = Dtype::Category::inexact;
inline constexpr Dtype::Category signedinteger = Dtype::Category::signedinteger;
inline constexpr Dtype::Category unsignedinteger = Dtype::Category::unsignedinteger;
inline constexpr Dtype::Category integer = Dtype::Category::integer;
inline constexpr Dtype::Category number = Dtype::Category::number;
inline constexpr Dtype::Category generic = Dtype::Category::generic;

/// Number of dtypes; `static_cast<int>(d.val)` indexes tables of this size.
inline constexpr int num_dtypes = 14;

inline constexpr bool operator==(Dtype a, Dtype b) {
  return a.val == b.val;
}
inline constexpr bool operator!=(Dtype a, Dtype b) {
  return a.val != b.val;
}

/// The smallest dtype that can represent both (NumPy/MLX rules, e.g. int8+uint8 -> int16,
/// int32+float16 -> float16, uint64+int64 -> float32 as in MLX).
Dtype promote_types(const Dtype& t1, const Dtype& t2);

inline uint8_t size_of(const Dtype& t) {
  return t.size;
}
Dtype::Kind kindof(const Dtype& t);

bool issubdtype(const Dtype& a, const Dtype& b);
bool issubdtype(const Dtype::Category& a, const Dtype& b);
bool issubdtype(const Dtype& a, const Dtype::Category& b);
bool issubdtype(const Dtype::Category& a, const Dtype::Category& b);

/// Convenience predicates.
inline bool is_floating_point(Dtype t) {
  return t == float16 || t == bfloat16 || t == float32 || t == float64;
}
inline bool is_complex(Dtype t) {
  return t == complex64;
}
inline bool is_inexact(Dtype t) {
  return is_floating_point(t) || is_complex(t);
}
inline bool is_integral(Dtype t) {
  return !is_inexact(t) && t != bool_;
}
inline bool is_unsigned(Dtype t) {
  return t == uint8 || t == uint16 || t == uint32 || t == uint64 || t == bool_;
}

/// "float32", "int64", ...
std::string dtype_name(Dtype t);
std::ostream& operator<<(std::ostream& os, const Dtype& t);
std::ostream& operator<<(std::ostream& os, Dtype::Category c);

/// The dtype of a C++ scalar type: bool, the fixed-width integers, float16_t, bfloat16_t, float,
/// double (float64), complex64_t.
template <typename T>
struct TypeToDtype;
#define TANDEM_TYPE_TO_DTYPE(T, D)                 \
  template <>                                      \
  struct TypeToDtype<T> {                          \
    static constexpr Dtype value = D;              \
    constexpr operator Dtype() const { return D; } \
  };
TANDEM_TYPE_TO_DTYPE(bool, bool_)
TANDEM_TYPE_TO_DTYPE(uint8_t, uint8)
TANDEM_TYPE_TO_DTYPE(uint16_t, uint16)
TANDEM_TYPE_TO_DTYPE(uint32_t, uint32)
TANDEM_TYPE_TO_DTYPE(uint64_t, uint64)
TANDEM_TYPE_TO_DTYPE(int8_t, int8)
TANDEM_TYPE_TO_DTYPE(int16_t, int16)
TANDEM_TYPE_TO_DTYPE(int32_t, int32)
TANDEM_TYPE_TO_DTYPE(int64_t, int64)
TANDEM_TYPE_TO_DTYPE(float16_t, float16)
TANDEM_TYPE_TO_DTYPE(bfloat16_t, bfloat16)
TANDEM_TYPE_TO_DTYPE(float, float32)
TANDEM_TYPE_TO_DTYPE(double, float64)
TANDEM_TYPE_TO_DTYPE(complex64_t, complex64)
#undef TANDEM_TYPE_TO_DTYPE

// `long` / `unsigned long long` differ from int64_t/uint64_t on some platforms.
template <typename T>
constexpr Dtype dtype_of() {
  if constexpr (std::is_same_v<T, long> && !std::is_same_v<long, int64_t>) {
    return int64;
  } else if constexpr (std::is_same_v<T, long long> && !std::is_same_v<long long, int64_t>) {
    return int64;
  } else if constexpr (std::is_same_v<T, unsigned long> &&
                       !std::is_same_v<unsigned long, uint64_t>) {
    return uint64;
  } else if constexpr (std::is_same_v<T, unsigned long long> &&
                       !std::is_same_v<unsigned long long, uint64_t>) {
    return uint64;
  } else {
    return TypeToDtype<T>::value;
  }
}

}  // namespace tandem
