// Copyright © 2026 Tandem authors.
// Binary and ternary op functions: promotion, broadcasting, then a Binary/Select node.
#include <cmath>

#include "ops/ops_common.h"

namespace tandem {

using detail::at_least_float;
using detail::fail;

const char* binary_op_name(BinaryOp op) {
  static const char* names[] = {
      "Add",        "Subtract",   "Multiply",   "Divide",    "FloorDivide",  "Remainder",
      "Power",      "Maximum",    "Minimum",    "ArcTan2",   "LogAddExp",    "Equal",
      "NotEqual",   "Less",       "LessEqual",  "Greater",   "GreaterEqual", "LogicalAnd",
      "LogicalOr",  "LogicalXor", "BitwiseAnd", "BitwiseOr", "BitwiseXor",   "LeftShift",
      "RightShift", "NaNEqual"};
  return names[static_cast<int>(op)];
}

bool Binary::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Binary*>(&other);
  return o && o->op_ == op_;
}

namespace {

// The name of the op function that records `op`, for error messages ("[add] ...", as every
// other op error names the function the user called, not the primitive).
const char* op_function_name(BinaryOp op) {
  static const char* names[] = {
      "add",         "subtract",    "multiply",    "divide",     "floor_divide",  "remainder",
      "power",       "maximum",     "minimum",     "arctan2",    "logaddexp",     "equal",
      "not_equal",   "less",        "less_equal",  "greater",    "greater_equal", "logical_and",
      "logical_or",  "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",   "left_shift",
      "right_shift", "array_equal"};
  return names[static_cast<int>(op)];
}

// Cast both inputs to `compute`, broadcast them to a common shape, record the node.
array binary(const array& a, const array& b, BinaryOp op, Dtype compute, Dtype out_type,
             StreamOrDevice s) {
  Shape shape;
  try {
    shape = broadcast_shapes(a.shape(), b.shape());
  } catch (const std::invalid_argument&) {
    fail(op_function_name(op), "Shapes " + shape_to_string(a.shape()) + " and " +
                                   shape_to_string(b.shape()) + " cannot be broadcast.");
  }
  array x = broadcast_to(astype(a, compute, s), shape, s);
  array y = broadcast_to(astype(b, compute, s), shape, s);
  return detail::make<Binary>(std::move(shape), out_type, {x, y}, to_stream(s), op);
}

void reject(bool bad, const char* op, const array& a, const array& b, const char* what) {
  if (bad) {
    fail(op, std::string(what) + " Got " + dtype_name(a.dtype()) + " and " + dtype_name(b.dtype()) +
                 ".");
  }
}

// Report incompatible shapes under the name of the op the user called (composite ops).
void check_broadcastable(const array& a, const array& b, const char* op) {
  try {
    broadcast_shapes(a.shape(), b.shape());
  } catch (const std::invalid_argument&) {
    fail(op, "Shapes " + shape_to_string(a.shape()) + " and " + shape_to_string(b.shape()) +
                 " cannot be broadcast.");
  }
}

}  // namespace

array add(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  return binary(a, b, BinaryOp::Add, t, t, s);
}

array subtract(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  reject(t == bool_, "subtract", a, b, "Subtraction of bool arrays is not supported.");
  return binary(a, b, BinaryOp::Subtract, t, t, s);
}

array multiply(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  return binary(a, b, BinaryOp::Multiply, t, t, s);
}

array divide(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = at_least_float(promote_types(a.dtype(), b.dtype()));
  return binary(a, b, BinaryOp::Divide, t, t, s);
}

array floor_divide(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  reject(t == complex64, "floor_divide", a, b, "Not supported for complex inputs.");
  if (t == bool_) t = int32;  // MLX: integer division of bools
  return binary(a, b, BinaryOp::FloorDivide, t, t, s);
}

array remainder(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  reject(t == complex64, "remainder", a, b, "Not supported for complex inputs.");
  if (t == bool_) t = int32;
  return binary(a, b, BinaryOp::Remainder, t, t, s);
}

std::vector<array> divmod(const array& a, const array& b, StreamOrDevice s) {
  reject(promote_types(a.dtype(), b.dtype()) == complex64, "divmod", a, b,
         "Not supported for complex inputs.");
  check_broadcastable(a, b, "divmod");
  return {floor_divide(a, b, s), remainder(a, b, s)};
}

array power(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  if (t == bool_) t = int32;
  return binary(a, b, BinaryOp::Power, t, t, s);
}

array maximum(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  return binary(a, b, BinaryOp::Maximum, t, t, s);
}

array minimum(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  return binary(a, b, BinaryOp::Minimum, t, t, s);
}

array arctan2(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = at_least_float(promote_types(a.dtype(), b.dtype()));
  reject(t == complex64, "arctan2", a, b, "Not supported for complex inputs.");
  return binary(a, b, BinaryOp::ArcTan2, t, t, s);
}

array logaddexp(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = at_least_float(promote_types(a.dtype(), b.dtype()));
  reject(t == complex64, "logaddexp", a, b, "Not supported for complex inputs.");
  return binary(a, b, BinaryOp::LogAddExp, t, t, s);
}

#define TANDEM_COMPARISON(NAME, OP)                              \
  array NAME(const array& a, const array& b, StreamOrDevice s) { \
    Dtype t = promote_types(a.dtype(), b.dtype());               \
    return binary(a, b, BinaryOp::OP, t, bool_, s);              \
  }
TANDEM_COMPARISON(equal, Equal)
TANDEM_COMPARISON(not_equal, NotEqual)
TANDEM_COMPARISON(less, Less)
TANDEM_COMPARISON(less_equal, LessEqual)
TANDEM_COMPARISON(greater, Greater)
TANDEM_COMPARISON(greater_equal, GreaterEqual)
#undef TANDEM_COMPARISON

#define TANDEM_LOGICAL(NAME, OP)                                 \
  array NAME(const array& a, const array& b, StreamOrDevice s) { \
    return binary(a, b, BinaryOp::OP, bool_, bool_, s);          \
  }
TANDEM_LOGICAL(logical_and, LogicalAnd)
TANDEM_LOGICAL(logical_or, LogicalOr)
TANDEM_LOGICAL(logical_xor, LogicalXor)
#undef TANDEM_LOGICAL

#define TANDEM_BITWISE(NAME, OP)                                                              \
  array NAME(const array& a, const array& b, StreamOrDevice s) {                              \
    Dtype t = promote_types(a.dtype(), b.dtype());                                            \
    reject(is_inexact(t), #NAME, a, b, "Bitwise operations require integer or bool dtypes."); \
    return binary(a, b, BinaryOp::OP, t, t, s);                                               \
  }
TANDEM_BITWISE(bitwise_and, BitwiseAnd)
TANDEM_BITWISE(bitwise_or, BitwiseOr)
TANDEM_BITWISE(bitwise_xor, BitwiseXor)
#undef TANDEM_BITWISE

array left_shift(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  reject(is_inexact(t), "left_shift", a, b, "Shifts require integer or bool dtypes.");
  if (t == bool_) t = uint8;
  return binary(a, b, BinaryOp::LeftShift, t, t, s);
}

array right_shift(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  reject(is_inexact(t), "right_shift", a, b, "Shifts require integer or bool dtypes.");
  if (t == bool_) t = uint8;
  return binary(a, b, BinaryOp::RightShift, t, t, s);
}

#define TANDEM_OPERATOR(OP, FN)                       \
  array operator OP(const array& a, const array& b) { \
    return FN(a, b);                                  \
  }
TANDEM_OPERATOR(+, add)
TANDEM_OPERATOR(-, subtract)
TANDEM_OPERATOR(*, multiply)
TANDEM_OPERATOR(/, divide)
TANDEM_OPERATOR(%, remainder)
TANDEM_OPERATOR(==, equal)
TANDEM_OPERATOR(!=, not_equal)
TANDEM_OPERATOR(<, less)
TANDEM_OPERATOR(<=, less_equal)
TANDEM_OPERATOR(>, greater)
TANDEM_OPERATOR(>=, greater_equal)
TANDEM_OPERATOR(&&, logical_and)
TANDEM_OPERATOR(||, logical_or)
TANDEM_OPERATOR(&, bitwise_and)
TANDEM_OPERATOR(|, bitwise_or)
TANDEM_OPERATOR(^, bitwise_xor)
TANDEM_OPERATOR(<<, left_shift)
TANDEM_OPERATOR(>>, right_shift)
#undef TANDEM_OPERATOR

// ---------------------------- ternary and composites ----------------------------

array where(const array& condition, const array& x, const array& y, StreamOrDevice s) {
  Shape shape;
  try {
    shape = broadcast_shapes(broadcast_shapes(condition.shape(), x.shape()), y.shape());
  } catch (const std::invalid_argument&) {
    fail("where", "Shapes " + shape_to_string(condition.shape()) + ", " +
                      shape_to_string(x.shape()) + " and " + shape_to_string(y.shape()) +
                      " cannot be broadcast.");
  }
  Dtype t = promote_types(x.dtype(), y.dtype());
  array c = broadcast_to(astype(condition, bool_, s), shape, s);
  array xx = broadcast_to(astype(x, t, s), shape, s);
  array yy = broadcast_to(astype(y, t, s), shape, s);
  return detail::make<Select>(shape, t, {c, xx, yy}, to_stream(s));
}

array clip(const array& a, const std::optional<array>& a_min, const std::optional<array>& a_max,
           StreamOrDevice s) {
  if (!a_min && !a_max) fail("clip", "At most one of a_min and a_max may be absent.");
  array out = a;
  if (a_min) out = maximum(out, *a_min, s);
  if (a_max) out = minimum(out, *a_max, s);
  return out;
}

array isclose(const array& a, const array& b, double rtol, double atol, bool equal_nan,
              StreamOrDevice s) {
  check_broadcastable(a, b, "isclose");
  Dtype t = at_least_float(promote_types(a.dtype(), b.dtype()));
  Dtype rt = t == complex64 ? float32 : t;
  array x = astype(a, t, s);
  array y = astype(b, t, s);
  // |a - b| <= atol + rtol * |b|; equal infinities are close; NaNs only with equal_nan.
  array rhs = add(array(atol, rt), multiply(array(rtol, rt), abs(y, s), s), s);
  array out = less_equal(abs(subtract(x, y, s), s), rhs, s);
  // With an infinite b the tolerance is infinite too, so the test above would call any value
  // close to an infinity (even -inf to +inf): where either side is infinite, only equality counts.
  array any_inf = logical_or(isinf(x, s), isinf(y, s), s);
  out = logical_and(out, logical_not(any_inf, s), s);
  out = logical_or(out, logical_and(equal(x, y, s), any_inf, s), s);
  if (equal_nan) out = logical_or(out, logical_and(isnan(x, s), isnan(y, s), s), s);
  return out;
}

array allclose(const array& a, const array& b, double rtol, double atol, bool equal_nan,
               StreamOrDevice s) {
  check_broadcastable(a, b, "allclose");
  return all(isclose(a, b, rtol, atol, equal_nan, s), s);
}

array array_equal(const array& a, const array& b, bool equal_nan, StreamOrDevice s) {
  if (a.shape() != b.shape()) return array(false);
  Dtype t = promote_types(a.dtype(), b.dtype());
  array x = astype(a, t, s);
  array y = astype(b, t, s);
  if (equal_nan) {
    return all(detail::make<Binary>(a.shape(), bool_, {x, y}, to_stream(s), BinaryOp::NaNEqual), s);
  }
  return all(equal(x, y, s), s);
}

}  // namespace tandem
