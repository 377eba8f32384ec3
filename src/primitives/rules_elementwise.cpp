// Copyright © 2026 Tandem authors.
// Derivative and batching rules of Unary, Binary and Select.
#include <cmath>

#include "primitives/rules_common.h"

namespace tandem {

using rules::Partial;

namespace {

Dtype unary_out_dtype(UnaryOp op, Dtype in) {
  switch (op) {
    case UnaryOp::IsNan:
    case UnaryOp::IsInf:
    case UnaryOp::IsPosInf:
    case UnaryOp::IsNegInf:
    case UnaryOp::LogicalNot:
      return bool_;
    case UnaryOp::Abs:
    case UnaryOp::Real:
    case UnaryOp::Imag:
      return in == complex64 ? float32 : in;
    default:
      return in;
  }
}

// d op(x) / dx, from x and out = op(x).
Partial unary_partial(UnaryOp op, const array& x, const array& out, const Stream& s) {
  auto c = [&](double v) { return array(v, x.dtype()); };
  switch (op) {
    case UnaryOp::Abs:
      return Partial::of(sign(x, s));
    case UnaryOp::Negative:
      return Partial::neg_one();
    case UnaryOp::Sqrt:
      return Partial::of(divide(c(0.5), out, s));
    case UnaryOp::Rsqrt:
      return Partial::of(multiply(c(-0.5), divide(out, x, s), s));
    case UnaryOp::Square:
      return Partial::of(multiply(c(2.0), x, s));
    case UnaryOp::Reciprocal:
      return Partial::of(negative(square(out, s), s));
    case UnaryOp::Exp:
      return Partial::of(out);
    case UnaryOp::Expm1:
      return Partial::of(add(out, c(1.0), s));
    case UnaryOp::Log:
      return Partial::of(reciprocal(x, s));
    case UnaryOp::Log1p:
      return Partial::of(reciprocal(add(x, c(1.0), s), s));
    case UnaryOp::Log2:
      return Partial::of(reciprocal(multiply(x, c(std::log(2.0)), s), s));
    case UnaryOp::Log10:
      return Partial::of(reciprocal(multiply(x, c(std::log(10.0)), s), s));
    case UnaryOp::Sin:
      return Partial::of(cos(x, s));
    case UnaryOp::Cos:
      return Partial::of(negative(sin(x, s), s));
    case UnaryOp::Tan:
      return Partial::of(add(c(1.0), square(out, s), s));
    case UnaryOp::ArcSin:
      return Partial::of(rsqrt(subtract(c(1.0), square(x, s), s), s));
    case UnaryOp::ArcCos:
      return Partial::of(negative(rsqrt(subtract(c(1.0), square(x, s), s), s), s));
    case UnaryOp::ArcTan:
      return Partial::of(reciprocal(add(c(1.0), square(x, s), s), s));
    case UnaryOp::Sinh:
      return Partial::of(cosh(x, s));
    case UnaryOp::Cosh:
      return Partial::of(sinh(x, s));
    case UnaryOp::Tanh:
      return Partial::of(subtract(c(1.0), square(out, s), s));
    case UnaryOp::ArcSinh:
      return Partial::of(rsqrt(add(square(x, s), c(1.0), s), s));
    case UnaryOp::ArcCosh:
      return Partial::of(rsqrt(subtract(square(x, s), c(1.0), s), s));
    case UnaryOp::ArcTanh:
      return Partial::of(reciprocal(subtract(c(1.0), square(x, s), s), s));
    case UnaryOp::Sigmoid:
      return Partial::of(multiply(out, subtract(c(1.0), out, s), s));
    case UnaryOp::Erf:
      return Partial::of(multiply(c(2.0 / std::sqrt(M_PI)), exp(negative(square(x, s), s), s), s));
    case UnaryOp::ErfInv:
      return Partial::of(multiply(c(std::sqrt(M_PI) / 2.0), exp(square(out, s), s), s));
    case UnaryOp::Conjugate:
      return Partial::one();  // handled specially for complex
    case UnaryOp::Real:
    case UnaryOp::Imag:
      return Partial::one();  // handled specially for complex
    default:
      // Sign, Floor, Ceil, Round, Trunc (piecewise constant), predicates, bitwise ops and
      // StopGradient have zero derivative.
      return Partial::zero();
  }
}

bool is_comparison(BinaryOp op) {
  switch (op) {
    case BinaryOp::Equal:
    case BinaryOp::NotEqual:
    case BinaryOp::Less:
    case BinaryOp::LessEqual:
    case BinaryOp::Greater:
    case BinaryOp::GreaterEqual:
    case BinaryOp::LogicalAnd:
    case BinaryOp::LogicalOr:
    case BinaryOp::LogicalXor:
    case BinaryOp::NaNEqual:
      return true;
    default:
      return false;
  }
}

// Partials (d/da, d/db) of out = op(a, b).
std::vector<Partial> binary_partials(BinaryOp op, const array& a, const array& b, const array& out,
                                     const Stream& s) {
  auto c = [&](double v) { return array(v, a.dtype()); };
  switch (op) {
    case BinaryOp::Add:
      return {Partial::one(), Partial::one()};
    case BinaryOp::Subtract:
      return {Partial::one(), Partial::neg_one()};
    case BinaryOp::Multiply:
      return {Partial::of(b), Partial::of(a)};
    case BinaryOp::Divide:
      return {Partial::of(reciprocal(b, s)), Partial::of(negative(divide(out, b, s), s))};
    case BinaryOp::Remainder:
      // a - b * floor(a / b): d/da = 1, d/db = -floor(a / b).
      return {Partial::one(), Partial::of(negative(floor_divide(a, b, s), s))};
    case BinaryOp::Power: {
      // d/da = b * a^(b-1); d/db = out * log(a), taken as 0 where a == 0.
      array da = multiply(b, power(a, subtract(b, c(1.0), s), s), s);
      array logs = where(equal(a, c(0.0), s), zeros_like(a, s), log(a, s), s);
      return {Partial::of(da), Partial::of(multiply(out, logs, s))};
    }
    case BinaryOp::Maximum: {
      // The gradient goes to the larger input; ties split evenly.
      array ga = astype(greater(a, b, s), a.dtype(), s);
      array tie = multiply(astype(equal(a, b, s), a.dtype(), s), c(0.5), s);
      return {Partial::of(add(ga, tie, s)),
              Partial::of(add(astype(less(a, b, s), a.dtype(), s), tie, s))};
    }
    case BinaryOp::Minimum: {
      array ga = astype(less(a, b, s), a.dtype(), s);
      array tie = multiply(astype(equal(a, b, s), a.dtype(), s), c(0.5), s);
      return {Partial::of(add(ga, tie, s)),
              Partial::of(add(astype(greater(a, b, s), a.dtype(), s), tie, s))};
    }
    case BinaryOp::ArcTan2: {
      array denom = add(square(a, s), square(b, s), s);
      return {Partial::of(divide(b, denom, s)), Partial::of(negative(divide(a, denom, s), s))};
    }
    case BinaryOp::LogAddExp:
      return {Partial::of(exp(subtract(a, out, s), s)), Partial::of(exp(subtract(b, out, s), s))};
    default:
      // FloorDivide (piecewise constant), comparisons, logical, bitwise and shift ops.
      return {Partial::zero(), Partial::zero()};
  }
}

}  // namespace

// ---------------- Unary ----------------

std::vector<array> Unary::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                              const std::vector<int>& argnums, const std::vector<array>& outputs) {
  const Stream& s = stream();
  const array& x = primals[0];
  const array& cot = cots[0];
  if (x.dtype() == complex64) {
    if (op_ == UnaryOp::Real) return {astype(cot, complex64, s)};
    if (op_ == UnaryOp::Imag)
      return {multiply(astype(cot, complex64, s), array(complex64_t(0, -1)), s)};
    if (op_ == UnaryOp::Conjugate) return {conjugate(cot, s)};
  }
  if (op_ == UnaryOp::Real || op_ == UnaryOp::Imag || op_ == UnaryOp::Conjugate) {
    return {op_ == UnaryOp::Imag ? zeros_like(x, s) : cot};
  }
  auto p = unary_partial(op_, x, outputs[0], s);
  // For complex inputs the cotangent pairs with the conjugate derivative.
  if (x.dtype() == complex64 && p.kind == Partial::Array) p.value = conjugate(*p.value, s);
  return rules::elementwise_vjp({p}, primals, cot, argnums, s);
}

std::vector<array> Unary::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                              const std::vector<int>& argnums) {
  const Stream& s = stream();
  const array& x = primals[0];
  const array& t = tangents[0];
  if (op_ == UnaryOp::Real) return {real(t, s)};
  if (op_ == UnaryOp::Imag) return {imag(t, s)};
  if (op_ == UnaryOp::Conjugate) return {conjugate(t, s)};
  Dtype od = unary_out_dtype(op_, x.dtype());
  if (od == bool_ || !is_inexact(od)) return {zeros(x.shape(), od, s)};
  array out = detail::make<Unary>(x.shape(), od, {x}, s, op_);
  auto p = unary_partial(op_, x, out, s);
  if (x.dtype() == complex64 && op_ == UnaryOp::Abs) {
    // d|z| = Re(conj(z) dz) / |z|
    return {divide(real(multiply(conjugate(x, s), t, s), s), out, s)};
  }
  return {rules::elementwise_jvp({p}, {t}, argnums, out, s)};
}

std::pair<std::vector<array>, std::vector<int>> Unary::vmap(const std::vector<array>& inputs,
                                                            const std::vector<int>& axes) {
  const array& x = inputs[0];
  return {{detail::make<Unary>(x.shape(), unary_out_dtype(op_, x.dtype()), {x}, stream(), op_)},
          {axes[0]}};
}

// ---------------- Binary ----------------

std::vector<array> Binary::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                               const std::vector<int>& argnums, const std::vector<array>& outputs) {
  auto p = binary_partials(op_, primals[0], primals[1], outputs[0], stream());
  return rules::elementwise_vjp(p, primals, cots[0], argnums, stream());
}

std::vector<array> Binary::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents,
                               const std::vector<int>& argnums) {
  const Stream& s = stream();
  const array& a = primals[0];
  Dtype od = is_comparison(op_) ? bool_ : a.dtype();
  array out = detail::make<Binary>(a.shape(), od, {primals[0], primals[1]}, s, op_);
  if (!is_inexact(od)) return {zeros(a.shape(), od, s)};
  auto p = binary_partials(op_, primals[0], primals[1], out, s);
  return {rules::elementwise_jvp(p, tangents, argnums, out, s)};
}

std::pair<std::vector<array>, std::vector<int>> Binary::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes) {
  const Stream& s = stream();
  array a = rules::batch_to_front(inputs[0], axes[0], s);
  array b = rules::batch_to_front(inputs[1], axes[1], s);
  Shape shape = broadcast_shapes(a.shape(), b.shape());
  a = broadcast_to(a, shape, s);
  b = broadcast_to(b, shape, s);
  Dtype od = is_comparison(op_) ? bool_ : a.dtype();
  return {{detail::make<Binary>(shape, od, {a, b}, s, op_)}, {0}};
}

// ---------------- Select ----------------

std::vector<array> Select::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                               const std::vector<int>& argnums, const std::vector<array>&) {
  const Stream& s = stream();
  const array& c = primals[0];
  const array& cot = cots[0];
  std::vector<array> out;
  for (int a : argnums) {
    if (a == 0) {
      out.push_back(zeros_like(c, s));
    } else {
      array z = zeros_like(cot, s);
      out.push_back(a == 1 ? where(c, cot, z, s) : where(c, z, cot, s));
    }
  }
  return out;
}

std::vector<array> Select::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents,
                               const std::vector<int>& argnums) {
  const Stream& s = stream();
  array tx = zeros_like(primals[1], s), ty = zeros_like(primals[2], s);
  for (size_t k = 0; k < argnums.size(); ++k) {
    if (argnums[k] == 1) tx = tangents[k];
    if (argnums[k] == 2) ty = tangents[k];
  }
  return {where(primals[0], tx, ty, s)};
}

std::pair<std::vector<array>, std::vector<int>> Select::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes) {
  const Stream& s = stream();
  std::vector<array> v;
  for (int i = 0; i < 3; ++i)
    v.push_back(rules::batch_to_front(inputs[i], axes[i], s));
  return {{where(v[0], v[1], v[2], s)}, {0}};
}

}  // namespace tandem
