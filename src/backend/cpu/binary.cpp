// Copyright © 2026 Tandem authors.
// CPU kernels of the Binary and Select primitives.
#include <stdexcept>

#include "backend/common/binary_ops.h"
#include "backend/common/dispatch.h"
#include "backend/cpu/elementwise.h"
#include "primitives/primitives.h"

namespace tandem {

namespace {

using cpu::kElementwiseGrain;
using cpu::parallel_for;

bool is_scalar_like(const array& a) {
  return a.data_size() == 1;
}

bool same_contiguous_layout(const array& a, const array& b) {
  return a.flags().contiguous && b.flags().contiguous && a.strides() == b.strides() &&
         a.data_size() == b.data_size();
}

// Allocate `out` with the layout of `like`, donating a or b when possible.
void set_output(const array& a, const array& b, const array& like, array& out) {
  if (a.is_donatable() && a.itemsize() == out.itemsize() && a.data_size() == like.data_size() &&
      a.strides() == like.strides()) {
    out.copy_shared_buffer(a);
  } else if (b.is_donatable() && b.itemsize() == out.itemsize() &&
             b.data_size() == like.data_size() && b.strides() == like.strides()) {
    out.copy_shared_buffer(b);
  } else {
    out.set_data(allocator::malloc(like.data_size() * out.itemsize()), like.data_size(),
                 like.strides(), like.flags());
  }
}

template <typename T, typename Out, typename F>
void binary_apply(const array& a, const array& b, array& out, F f) {
  const T* pa = a.unsafe_data<T>();
  const T* pb = b.unsafe_data<T>();
  if (is_scalar_like(a) && is_scalar_like(b)) {
    // One value, broadcast (zero strides) to the output shape.
    bool one = out.size() <= 1;
    out.set_data(allocator::malloc(out.itemsize()), 1, Strides(out.ndim(), 0),
                 array::Flags{one, one, one});
    out.unsafe_data<Out>()[0] = f(pa[0], pb[0]);
    return;
  }
  if (same_contiguous_layout(a, b) || (is_scalar_like(a) && b.flags().contiguous) ||
      (is_scalar_like(b) && a.flags().contiguous)) {
    const array& like = is_scalar_like(a) && !same_contiguous_layout(a, b) ? b : a;
    set_output(a, b, like, out);
    Out* po = out.unsafe_data<Out>();
    size_t n = like.data_size();
    if (is_scalar_like(a) && !same_contiguous_layout(a, b)) {
      T va = pa[0];
      parallel_for(n, kElementwiseGrain, [&](size_t s, size_t e) {
        for (size_t i = s; i < e; ++i)
          po[i] = f(va, pb[i]);
      });
    } else if (is_scalar_like(b) && !same_contiguous_layout(a, b)) {
      T vb = pb[0];
      parallel_for(n, kElementwiseGrain, [&](size_t s, size_t e) {
        for (size_t i = s; i < e; ++i)
          po[i] = f(pa[i], vb);
      });
    } else {
      parallel_for(n, kElementwiseGrain, [&](size_t s, size_t e) {
        for (size_t i = s; i < e; ++i)
          po[i] = f(pa[i], pb[i]);
      });
    }
    return;
  }
  // General: inputs broadcast/strided, output row-contiguous.
  out.set_data(allocator::malloc(out.nbytes()));
  Out* po = out.unsafe_data<Out>();
  std::vector<Strides> st{cpu::broadcast_strides(a, out.shape()),
                          cpu::broadcast_strides(b, out.shape()), row_major_strides(out.shape())};
  Shape shape = cpu::collapse_dims(out.shape(), st);
  std::array<const int64_t*, 3> sp{st[0].data(), st[1].data(), st[2].data()};
  parallel_for(out.size(), kElementwiseGrain, [&](size_t s, size_t e) {
    cpu::for_each_run<3>(shape, sp, s, e, [&](const auto& off, const auto& inc, int64_t n) {
      const T* x = pa + off[0];
      const T* y = pb + off[1];
      Out* o = po + off[2];
      if (inc[0] == 1 && inc[1] == 1) {
        for (int64_t i = 0; i < n; ++i)
          o[i] = f(x[i], y[i]);
      } else if (inc[0] == 0 && inc[1] == 1) {
        T v = x[0];
        for (int64_t i = 0; i < n; ++i)
          o[i] = f(v, y[i]);
      } else if (inc[0] == 1 && inc[1] == 0) {
        T v = y[0];
        for (int64_t i = 0; i < n; ++i)
          o[i] = f(x[i], v);
      } else {
        for (int64_t i = 0; i < n; ++i)
          o[i] = f(x[i * inc[0]], y[i * inc[1]]);
      }
    });
  });
}

enum class Types { All, Numeric, Float, Real, Integral, RealNumeric };

template <Types K, typename T>
constexpr bool accepts() {
  constexpr bool fl = std::is_same_v<T, float> || std::is_same_v<T, double> || is_half_type_v<T>;
  constexpr bool cx = is_complex_type<T>::value;
  switch (K) {
    case Types::All:
      return true;
    case Types::Numeric:
      return !std::is_same_v<T, bool>;
    case Types::Float:
      return fl;
    case Types::Real:
      return !cx;
    case Types::Integral:
      return std::is_integral_v<T>;
    case Types::RealNumeric:
      return !cx && !std::is_same_v<T, bool>;
  }
  return false;
}

template <typename Op, Types K>
void run(const array& a, const array& b, array& out, const char* name) {
  bool done = dispatch_all(a.dtype(), [&]<typename T>() {
    if constexpr (accepts<K, T>()) {
      using C = compute_t<T>;
      using R = decltype(Op{}(C{}, C{}));
      using Out = std::conditional_t<std::is_same_v<R, C>, T, R>;
      if (out.dtype() != dtype_of<Out>()) {
        throw std::logic_error(std::string("[") + name + "] Output dtype " +
                               dtype_name(out.dtype()) + " does not match the kernel's.");
      }
      binary_apply<T, Out>(a, b, out, [](T x, T y) {
        return static_cast<Out>(Op{}(static_cast<C>(x), static_cast<C>(y)));
      });
      return true;
    } else {
      return false;
    }
  });
  if (!done) {
    throw std::invalid_argument(std::string("[") + name + "] Not supported for dtype " +
                                dtype_name(a.dtype()) + ".");
  }
}

}  // namespace

void Binary::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& a = inputs[0];
  const array& b = inputs[1];
  array& out = outputs[0];
  const char* n = binary_op_name(op_);
  switch (op_) {
    // clang-format off
    case BinaryOp::Add: return run<ops::Add, Types::All>(a, b, out, n);
    case BinaryOp::Subtract: return run<ops::Subtract, Types::Numeric>(a, b, out, n);
    case BinaryOp::Multiply: return run<ops::Multiply, Types::All>(a, b, out, n);
    case BinaryOp::Divide: return run<ops::Divide, Types::Numeric>(a, b, out, n);
    case BinaryOp::FloorDivide: return run<ops::FloorDivide, Types::RealNumeric>(a, b, out, n);
    case BinaryOp::Remainder: return run<ops::Remainder, Types::RealNumeric>(a, b, out, n);
    case BinaryOp::Power: return run<ops::Power, Types::Numeric>(a, b, out, n);
    case BinaryOp::Maximum: return run<ops::Maximum, Types::All>(a, b, out, n);
    case BinaryOp::Minimum: return run<ops::Minimum, Types::All>(a, b, out, n);
    case BinaryOp::ArcTan2: return run<ops::ArcTan2, Types::Float>(a, b, out, n);
    case BinaryOp::LogAddExp: return run<ops::LogAddExp, Types::Float>(a, b, out, n);
    case BinaryOp::Equal: return run<ops::Equal, Types::All>(a, b, out, n);
    case BinaryOp::NotEqual: return run<ops::NotEqual, Types::All>(a, b, out, n);
    case BinaryOp::Less: return run<ops::Less, Types::All>(a, b, out, n);
    case BinaryOp::LessEqual: return run<ops::LessEqual, Types::All>(a, b, out, n);
    case BinaryOp::Greater: return run<ops::Greater, Types::All>(a, b, out, n);
    case BinaryOp::GreaterEqual: return run<ops::GreaterEqual, Types::All>(a, b, out, n);
    case BinaryOp::LogicalAnd: return run<ops::LogicalAnd, Types::All>(a, b, out, n);
    case BinaryOp::LogicalOr: return run<ops::LogicalOr, Types::All>(a, b, out, n);
    case BinaryOp::LogicalXor: return run<ops::LogicalXor, Types::All>(a, b, out, n);
    case BinaryOp::BitwiseAnd: return run<ops::BitwiseAnd, Types::Integral>(a, b, out, n);
    case BinaryOp::BitwiseOr: return run<ops::BitwiseOr, Types::Integral>(a, b, out, n);
    case BinaryOp::BitwiseXor: return run<ops::BitwiseXor, Types::Integral>(a, b, out, n);
    case BinaryOp::LeftShift: return run<ops::LeftShift, Types::Integral>(a, b, out, n);
    case BinaryOp::RightShift: return run<ops::RightShift, Types::Integral>(a, b, out, n);
    case BinaryOp::NaNEqual: return run<ops::NaNEqual, Types::All>(a, b, out, n);
      // clang-format on
  }
}

void Select::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& c = inputs[0];
  const array& x = inputs[1];
  const array& y = inputs[2];
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  std::vector<Strides> st{cpu::broadcast_strides(c, out.shape()),
                          cpu::broadcast_strides(x, out.shape()),
                          cpu::broadcast_strides(y, out.shape()), row_major_strides(out.shape())};
  Shape shape = cpu::collapse_dims(out.shape(), st);
  std::array<const int64_t*, 4> sp{st[0].data(), st[1].data(), st[2].data(), st[3].data()};
  const bool* pc = c.unsafe_data<bool>();
  dispatch_by_size(out.itemsize(), [&]<typename T>() {
    const T* px = x.unsafe_data<T>();
    const T* py = y.unsafe_data<T>();
    T* po = out.unsafe_data<T>();
    parallel_for(out.size(), kElementwiseGrain, [&](size_t s, size_t e) {
      cpu::for_each_run<4>(shape, sp, s, e, [&](const auto& off, const auto& inc, int64_t n) {
        // Read the condition as bytes: loads of `bool` (which must be 0 or 1) keep GCC from
        // vectorising the blend.
        const uint8_t* c0 = reinterpret_cast<const uint8_t*>(pc + off[0]);
        const T* x0 = px + off[1];
        const T* y0 = py + off[2];
        T* o0 = po + off[3];
        // Runs whose operands are contiguous or scalars get loops with fixed strides: both
        // sides are loaded unconditionally and blended, which vectorises.
        auto fixed = [&]<int IC, int IX, int IY>() {
          for (int64_t i = 0; i < n; ++i) {
            const T a = x0[i * IX];
            const T b = y0[i * IY];
            o0[i] = c0[i * IC] != 0 ? a : b;
          }
        };
        auto unit = [](int64_t v) { return v == 0 || v == 1; };
        if (inc[3] == 1 && unit(inc[0]) && unit(inc[1]) && unit(inc[2])) {
          const int k = (inc[0] ? 4 : 0) | (inc[1] ? 2 : 0) | (inc[2] ? 1 : 0);
          switch (k) {
            case 0:
              return fixed.template operator()<0, 0, 0>();
            case 1:
              return fixed.template operator()<0, 0, 1>();
            case 2:
              return fixed.template operator()<0, 1, 0>();
            case 3:
              return fixed.template operator()<0, 1, 1>();
            case 4:
              return fixed.template operator()<1, 0, 0>();
            case 5:
              return fixed.template operator()<1, 0, 1>();
            case 6:
              return fixed.template operator()<1, 1, 0>();
            default:
              return fixed.template operator()<1, 1, 1>();
          }
        }
        for (int64_t i = 0; i < n; ++i)
          o0[i * inc[3]] = c0[i * inc[0]] != 0 ? x0[i * inc[1]] : y0[i * inc[2]];
      });
    });
  });
}

}  // namespace tandem
