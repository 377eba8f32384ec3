// Copyright © 2026 Tandem authors.
#include "tandem/dtype.h"

#include <stdexcept>

namespace tandem {

Dtype::Kind kindof(const Dtype& t) {
  switch (t.val) {
    case Dtype::Val::bool_:
      return Dtype::Kind::b;
    case Dtype::Val::uint8:
    case Dtype::Val::uint16:
    case Dtype::Val::uint32:
    case Dtype::Val::uint64:
      return Dtype::Kind::u;
    case Dtype::Val::int8:
    case Dtype::Val::int16:
    case Dtype::Val::int32:
    case Dtype::Val::int64:
      return Dtype::Kind::i;
    case Dtype::Val::float16:
    case Dtype::Val::float32:
    case Dtype::Val::float64:
    case Dtype::Val::bfloat16:
      return Dtype::Kind::f;
    case Dtype::Val::complex64:
      return Dtype::Kind::c;
  }
  return Dtype::Kind::V;
}

namespace {
Dtype signed_of_size(int bytes) {
  switch (bytes) {
    case 1:
      return int8;
    case 2:
      return int16;
    case 4:
      return int32;
    default:
      return int64;
  }
}
}  // namespace

// Rules (MLX): bool yields to anything; same-kind integers take the wider; unsigned with signed
// takes a signed type wide enough for both (uint64 with a signed type gives float32); integers
// with floats give the float; float16 with bfloat16 gives float32; complex wins over all.
Dtype promote_types(const Dtype& a, const Dtype& b) {
  if (a == b) return a;
  auto ka = kindof(a), kb = kindof(b);
  if (ka == Dtype::Kind::c || kb == Dtype::Kind::c) return complex64;
  if (ka == Dtype::Kind::b) return b;
  if (kb == Dtype::Kind::b) return a;
  if (ka == Dtype::Kind::f && kb == Dtype::Kind::f) {
    if (a == float64 || b == float64) return float64;
    if (a == float32 || b == float32) return float32;
    return float32;  // float16 with bfloat16
  }
  if (ka == Dtype::Kind::f) return a;
  if (kb == Dtype::Kind::f) return b;
  if (ka == kb) return a.size >= b.size ? a : b;
  // one unsigned, one signed
  const Dtype& u = ka == Dtype::Kind::u ? a : b;
  const Dtype& i = ka == Dtype::Kind::u ? b : a;
  if (i.size > u.size) return i;
  if (u.size >= 8) return float32;
  return signed_of_size(u.size * 2);
}

bool issubdtype(const Dtype& a, const Dtype& b) {
  return a == b;
}

bool issubdtype(const Dtype::Category& cat, const Dtype& type) {
  return false;
}

bool issubdtype(const Dtype& type, const Dtype::Category& cat) {
  auto k = kindof(type);
  switch (cat) {
    case Dtype::Category::complexfloating:
      return k == Dtype::Kind::c;
    case Dtype::Category::floating:
      return k == Dtype::Kind::f;
    case Dtype::Category::inexact:
      return k == Dtype::Kind::f || k == Dtype::Kind::c;
    case Dtype::Category::signedinteger:
      return k == Dtype::Kind::i;
    case Dtype::Category::unsignedinteger:
      return k == Dtype::Kind::u;
    case Dtype::Category::integer:
      return k == Dtype::Kind::i || k == Dtype::Kind::u;
    case Dtype::Category::number:
      return k != Dtype::Kind::b;
    case Dtype::Category::generic:
      return true;
  }
  return false;
}

bool issubdtype(const Dtype::Category& a, const Dtype::Category& b) {
  using C = Dtype::Category;
  if (a == b || b == C::generic) return true;
  switch (b) {
    case C::inexact:
      return a == C::floating || a == C::complexfloating;
    case C::integer:
      return a == C::signedinteger || a == C::unsignedinteger;
    case C::number:
      return a != C::generic;
    default:
      return false;
  }
}

std::string dtype_name(Dtype t) {
  switch (t.val) {
    case Dtype::Val::bool_:
      return "bool";
    case Dtype::Val::uint8:
      return "uint8";
    case Dtype::Val::uint16:
      return "uint16";
    case Dtype::Val::uint32:
      return "uint32";
    case Dtype::Val::uint64:
      return "uint64";
    case Dtype::Val::int8:
      return "int8";
    case Dtype::Val::int16:
      return "int16";
    case Dtype::Val::int32:
      return "int32";
    case Dtype::Val::int64:
      return "int64";
    case Dtype::Val::float16:
      return "float16";
    case Dtype::Val::float32:
      return "float32";
    case Dtype::Val::float64:
      return "float64";
    case Dtype::Val::bfloat16:
      return "bfloat16";
    case Dtype::Val::complex64:
      return "complex64";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, const Dtype& t) {
  return os << dtype_name(t);
}

std::ostream& operator<<(std::ostream& os, Dtype::Category c) {
  const char* names[] = {"complexfloating", "floating", "inexact", "signedinteger",
                         "unsignedinteger", "integer",  "number",  "generic"};
  return os << names[static_cast<int>(c)];
}

}  // namespace tandem
