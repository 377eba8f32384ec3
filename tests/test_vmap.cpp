// Copyright © 2026 Tandem authors.
// vmap: every op's batching rule against a loop over the batch (per-example results stacked), for
// batch axis 0, non-zero and trailing in_axes, unbatched inputs and non-zero out_axes; ops with
// axis arguments; nested vmap.
#include "transforms_cases.h"

using namespace tandem;
using tandem_test::values;
using tx::Case;
using tx::f64;
using tx::In;

// Test suites (fixtures running on the CPU).
class VmapOps : public tx::CpuTest {};
class VmapAxes : public tx::CpuTest {};
class VmapNested : public tx::CpuTest {};
class VmapMachinery : public tx::CpuTest {};
class VmapCompose : public tx::CpuTest {};

namespace {

constexpr int kBatch = 3;

/// kBatch slightly different copies of x stacked along `axis` (values stay in the op's domain).
array batched(const array& x, int axis, uint32_t seed) {
  std::vector<array> parts;
  auto v = values(x);
  for (int b = 0; b < kBatch; ++b) {
    auto d = tx::rand_values(v.size(), -1e-3, 1e-3, seed + b);
    std::vector<double> w(v.size());
    for (size_t i = 0; i < v.size(); ++i)
      w[i] = b == 0 ? v[i] : v[i] * (1 + d[i]);
    parts.push_back(array(w, x.shape(), x.dtype()));
  }
  return stack(parts, axis);
}

ArrayFn as_array_fn(const tx::Fn& f) {
  return [f](const std::vector<array>& x) { return std::vector<array>{f(x)}; };
}

// Every case of a table under five batchings:
//   all inputs batched on axis 0, output on axis 0;
//   all inputs batched on their last axis (a non-zero in_axes), output on the last axis;
//   only the first input batched (axis 1 where it has one), the others unbatched, out_axes 1;
//   batched inputs that are views (broadcast along the batch, or a moved batch axis);
//   only the last input batched, the others unbatched.
void vmap_table(const std::function<std::vector<Case>(In)>& table, In layout = In::Contiguous) {
  for (auto& c : table(layout)) {
    SCOPED_TRACE(c.name);
    ArrayFn f = as_array_fn(c.f);
    int out_ndim = c.f(c.xs).ndim();
    size_t n = c.xs.size();
    {
      SCOPED_TRACE("in_axes 0, out_axes 0");
      std::vector<array> xs;
      for (size_t i = 0; i < n; ++i)
        xs.push_back(batched(c.xs[i], 0, 10 + i));
      EXPECT_VMAP(f, xs, std::vector<int>(n, 0), {0});
    }
    {
      SCOPED_TRACE("in_axes last, out_axes -1");
      std::vector<array> xs;
      std::vector<int> axes;
      for (size_t i = 0; i < n; ++i) {
        axes.push_back(c.xs[i].ndim());
        xs.push_back(batched(c.xs[i], c.xs[i].ndim(), 20 + i));
      }
      EXPECT_VMAP(f, xs, axes, {-1});
    }
    {
      SCOPED_TRACE("first batched, others unbatched, out_axes 1");
      std::vector<array> xs = c.xs;
      std::vector<int> axes(n, -1);
      axes[0] = std::min(1, c.xs[0].ndim());
      xs[0] = batched(c.xs[0], axes[0], 30);
      EXPECT_VMAP(f, xs, axes, {std::min(1, out_ndim)});
    }
    {
      SCOPED_TRACE("batched inputs as views: a zero-stride batch axis, a transposed batch axis");
      std::vector<array> xs;
      std::vector<int> axes;
      for (size_t i = 0; i < n; ++i) {
        const array& x = c.xs[i];
        if (i % 2 == 0) {
          Shape bs = x.shape();
          bs.insert(bs.begin(), kBatch);
          xs.push_back(broadcast_to(expand_dims(x, 0), bs));
          axes.push_back(0);
        } else {
          xs.push_back(moveaxis(batched(x, 0, 50 + i), 0, -1));
          axes.push_back(x.ndim());
        }
      }
      EXPECT_VMAP(f, xs, axes);
    }
    if (n > 1) {
      SCOPED_TRACE("last batched, others unbatched");
      std::vector<array> xs = c.xs;
      std::vector<int> axes(n, -1);
      axes[n - 1] = 0;
      xs[n - 1] = batched(c.xs[n - 1], 0, 40);
      EXPECT_VMAP(f, xs, axes);
    }
  }
}

}  // namespace

TEST_F(VmapOps, Unary) {
  vmap_table(tx::unary_cases);
}
TEST_F(VmapOps, Binary) {
  vmap_table(tx::binary_cases);
}
TEST_F(VmapOps, Reductions) {
  vmap_table(tx::reduction_cases);
}
TEST_F(VmapOps, Matmul) {
  vmap_table(tx::matmul_cases);
}
TEST_F(VmapOps, Shapes) {
  vmap_table(tx::shape_cases);
}
TEST_F(VmapOps, AsType) {
  vmap_table(tx::astype_cases);
}
TEST_F(VmapOps, PiecewiseConstant) {
  vmap_table(tx::zero_grad_cases);
}
TEST_F(VmapOps, NonContiguousCaseInputs) {
  // The unbatched inputs keep their (transposed / strided / reversed) layouts.
  for (In l : {In::Transposed, In::Strided, In::Reversed, In::Broadcast}) {
    SCOPED_TRACE(tx::in_name(l));
    vmap_table(tx::binary_cases, l);
    vmap_table(tx::matmul_cases, l);
  }
}

// ------------------------------ ops with axis arguments ------------------------------

TEST_F(VmapAxes, ReductionsOverEveryAxisAndBatchAxis) {
  // Each per-example axis, with the batch at every position of the batched input.
  array x0 = tx::rand64({3, 4}, -2, 2, 1);
  using R = std::function<array(const array&, int)>;
  std::vector<std::pair<const char*, R>> ops{
      {"sum", [](auto& a, int ax) { return sum(a, ax); }},
      {"prod", [](auto& a, int ax) { return prod(a, ax, true); }},
      {"mean", [](auto& a, int ax) { return mean(a, ax); }},
      {"max", [](auto& a, int ax) { return max(a, ax, true); }},
      {"min", [](auto& a, int ax) { return min(a, ax); }},
      {"var", [](auto& a, int ax) { return var(a, ax, false, 1); }},
      {"std", [](auto& a, int ax) { return tandem::std(a, ax, true); }},
      {"logsumexp", [](auto& a, int ax) { return logsumexp(a, ax); }},
      {"softmax", [](auto& a, int ax) { return softmax(a, ax); }},
      {"argmax", [](auto& a, int ax) { return argmax(a, ax); }},
      {"argmin", [](auto& a, int ax) { return argmin(a, ax, true); }},
      {"all", [](auto& a, int ax) { return all(a > array(0.0, float64), ax); }},
      {"any", [](auto& a, int ax) { return any(a > array(1.0, float64), ax); }},
  };
  for (auto& [name, op] : ops) {
    for (int ax : {0, 1, -1}) {
      for (int bax : {0, 1, 2}) {
        SCOPED_TRACE(std::string(name) + " axis " + std::to_string(ax) + " batch axis " +
                     std::to_string(bax));
        auto fn = [op, ax](const std::vector<array>& v) {
          return std::vector<array>{op(v[0], ax)};
        };
        EXPECT_VMAP(fn, {batched(x0, bax, 5)}, {bax});
      }
    }
  }
}

TEST_F(VmapAxes, ConcatenateStackSplit) {
  array a = tx::rand64({2, 3}, -1, 1, 1), b = tx::rand64({2, 2}, -1, 1, 2);
  ArrayFn cat = [](const std::vector<array>& v) {
    return std::vector<array>{concatenate({v[0], v[1], v[0]}, 1)};
  };
  EXPECT_VMAP(cat, {batched(a, 0, 3), batched(b, 2, 4)}, {0, 2});
  EXPECT_VMAP(cat, {batched(a, 1, 3), b}, {1, -1}, {2});
  EXPECT_VMAP(cat, {a, batched(b, 1, 4)}, {-1, 1}, {1});
  ArrayFn cat0 = [](const std::vector<array>& v) {
    return std::vector<array>{concatenate({v[0], v[1]}, 0)};
  };
  array c = tx::rand64({1, 3}, -1, 1, 5);
  EXPECT_VMAP(cat0, {batched(a, 2, 6), c}, {2, -1});
  ArrayFn stk = [](const std::vector<array>& v) {
    return std::vector<array>{stack({v[0], v[1]}, 1), stack({v[1], v[0]}, -1)};
  };
  array d = tx::rand64({2, 3}, -1, 1, 7);
  EXPECT_VMAP(stk, {batched(a, 0, 8), d}, {0, -1}, {0, 3});
  // split: several outputs, each with its own out axis.
  ArrayFn spl = [](const std::vector<array>& v) { return split(v[0], Shape{1, 3}, 1); };
  array e = tx::rand64({2, 5}, -1, 1, 9);
  EXPECT_VMAP(spl, {batched(e, 1, 10)}, {1}, {0, 1, 2});
  ArrayFn uns = [](const std::vector<array>& v) { return unstack(v[0], 1); };
  EXPECT_VMAP(uns, {batched(e, 0, 11)}, {0});
}

TEST_F(VmapAxes, SliceTransposeAndViews) {
  array x = tx::rand64({6, 5}, -1, 1, 1);
  std::vector<std::pair<const char*, std::function<array(const array&)>>> ops{
      {"slice",
       [](auto& a) {
         return slice(a, {1, 0}, {5, 5}, {2, 2});
       }},
      {"slice negative",
       [](auto& a) {
         return slice(a, {-1, -2}, {-7, -6}, {-2, -1});
       }},
      {"slice empty",
       [](auto& a) {
         return slice(a, {4, 0}, {2, 5});
       }},
      {"slice empty negative",
       [](auto& a) {
         return slice(a, {1, 0}, {3, 5}, {-1, 1});
       }},
      {"flip", [](auto& a) { return flip(a); }},
      {"transpose", [](auto& a) { return transpose(a); }},
      {"swapaxes", [](auto& a) { return swapaxes(expand_dims(a, 0), 0, 2); }},
      {"moveaxis",
       [](auto& a) {
         return moveaxis(reshape(a, {3, 2, 5}), 2, 0);
       }},
      {"reshape",
       [](auto& a) {
         return reshape(a, {5, 3, 2});
       }},
      {"flatten", [](auto& a) { return flatten(a); }},
      {"unflatten",
       [](auto& a) {
         return unflatten(a, 0, {2, 3});
       }},
      {"squeeze",
       [](auto& a) {
         return squeeze(expand_dims(a, {0, 2}), 2);
       }},
      {"diagonal", [](auto& a) { return diagonal(a, -1); }},
      {"diagonal axes",
       [](auto& a) {
         return diagonal(reshape(a, {2, 3, 5}), 1, 2, 0);
       }},
      {"diag", [](auto& a) { return diag(a, 1); }},
      {"diag 1-d",
       [](auto& a) {
         return diag(reshape(slice(a, {0, 0}, {1, 5}), {5}), -1);
       }},
      {"trace", [](auto& a) { return trace(a, 1, 1, 0); }},
      {"pad constant",
       [](auto& a) {
         return pad(a, {{1, 0}, {2, 1}}, array(-1.0, float64));
       }},
      {"pad edge",
       [](auto& a) {
         return pad(a, {{1, 2}, {0, 1}}, array(0), "edge");
       }},
      {"tile",
       [](auto& a) {
         return tile(a, {2, 1, 2});
       }},
      {"repeat", [](auto& a) { return repeat(a, 2, 0); }},
      {"repeat flat", [](auto& a) { return repeat(a, 2); }},
      {"roll", [](auto& a) { return roll(a, 2, 1); }},
      {"roll flat", [](auto& a) { return roll(a, -4); }},
      {"as_strided",
       [](auto& a) {
         return as_strided(a, {4, 3}, {5, 2}, 3);
       }},
      {"copy", [](auto& a) { return copy(a); }},
      {"stop_gradient", [](auto& a) { return stop_gradient(a); }},
      {"astype", [](auto& a) { return astype(a, float32); }},
      {"view float32", [](auto& a) { return view(a, float32); }},
      {"view int64", [](auto& a) { return view(a, int64); }},
      {"atleast_3d", [](auto& a) { return atleast_3d(a); }},
  };
  for (auto& [name, op] : ops) {
    SCOPED_TRACE(name);
    auto f = tx::unary_v(op);
    int out_ndim = op(x).ndim();
    EXPECT_VMAP(f, {batched(x, 0, 2)}, {0});
    EXPECT_VMAP(f, {batched(x, 1, 3)}, {1}, {std::min(2, out_ndim)});
    EXPECT_VMAP(f, {batched(x, 2, 4)}, {2}, {-1});
  }
}

TEST_F(VmapAxes, BroadcastTo) {
  array x = tx::rand64({3, 1}, -1, 1, 1);
  auto f = tx::unary_v([](const array& a) { return broadcast_to(a, {2, 3, 4}); });
  EXPECT_VMAP(f, {batched(x, 0, 2)}, {0});
  EXPECT_VMAP(f, {batched(x, 1, 3)}, {1}, {3});
  auto g = tx::unary_v([](const array& a) { return broadcast_to(a, {2, 3}); });
  EXPECT_VMAP(g, {batched(array(0.5, float64), 0, 4)}, {0}, {1});
  // An unbatched input broadcast against a batched one inside a binary op.
  ArrayFn h = [](const std::vector<array>& v) {
    return std::vector<array>{add(broadcast_to(v[0], {3, 4}), v[1])};
  };
  EXPECT_VMAP(h, {tx::rand64({4}, -1, 1, 5), batched(tx::rand64({3, 1}, -1, 1, 6), 1, 7)}, {-1, 1});
  EXPECT_VMAP(h, {batched(tx::rand64({4}, -1, 1, 5), 0, 8), tx::rand64({3, 1}, -1, 1, 6)}, {0, -1},
              {2});
}

TEST_F(VmapAxes, MatmulOneBatchedOperand) {
  array a = tx::rand64({3, 4}, -1, 1, 1), b = tx::rand64({4, 5}, -1, 1, 2);
  auto mm = tx::binary_v([](const array& x, const array& y) { return matmul(x, y); });
  EXPECT_VMAP(mm, {batched(a, 0, 3), b}, {0, -1});
  EXPECT_VMAP(mm, {a, batched(b, 2, 4)}, {-1, 2});
  EXPECT_VMAP(mm, {batched(a, 1, 5), b}, {1, -1}, {2});
  EXPECT_VMAP(mm, {batched(a, 2, 6), batched(b, 1, 7)}, {2, 1}, {1});
  // Vector operands.
  array v = tx::rand64({4}, -1, 1, 8);
  EXPECT_VMAP(mm, {batched(v, 0, 9), b}, {0, -1});
  EXPECT_VMAP(mm, {a, batched(v, 1, 10)}, {-1, 1});
  EXPECT_VMAP(mm, {batched(v, 0, 11), batched(v, 1, 12)}, {0, 1});
  // Batched inside, batched outside.
  array c = tx::rand64({2, 3, 4}, -1, 1, 13);
  EXPECT_VMAP(mm, {batched(c, 1, 14), b}, {1, -1}, {3});
  ArrayFn add_mm = [](const std::vector<array>& x) {
    return std::vector<array>{addmm(x[0], x[1], x[2], 2.0f, 0.5f)};
  };
  EXPECT_VMAP(add_mm, {tx::rand64({5}, -1, 1, 15), batched(a, 0, 16), b}, {-1, 0, -1});
}

TEST_F(VmapAxes, WhereWithUnbatchedCondition) {
  array cond = array({true, false, true, false, false, true}, Shape{2, 3});
  array x = tx::rand64({2, 3}, -1, 1, 1), y = tx::rand64({3}, -1, 1, 2);
  ArrayFn w = [](const std::vector<array>& v) {
    return std::vector<array>{where(v[0], v[1], v[2])};
  };
  EXPECT_VMAP(w, {cond, batched(x, 0, 3), batched(y, 1, 4)}, {-1, 0, 1});
  EXPECT_VMAP(w, {cond, x, batched(y, 0, 5)}, {-1, -1, 0}, {2});
  // Batched condition, unbatched values.
  array conds = stack({cond, logical_not(cond), cond}, 1);
  EXPECT_VMAP(w, {conds, x, y}, {1, -1, -1});
  // The condition captured from outside the function.
  auto cap = tx::unary_v([cond](const array& a) { return where(cond, a, square(a)); });
  EXPECT_VMAP(cap, {batched(x, 2, 6)}, {2}, {1});
}

TEST_F(VmapAxes, ScalarPerExampleInputs) {
  // Batching a 1-d array gives 0-d per-example inputs.
  array s = tx::rand64({4}, 0.5, 2, 1);
  array m = tx::rand64({2, 3}, -1, 1, 2);
  ArrayFn f = [](const std::vector<array>& v) {
    return std::vector<array>{multiply(v[0], v[1]), sum(v[1] * v[0]), exp(v[0])};
  };
  EXPECT_VMAP(f, {s, m}, {0, -1}, {1, 0, 0});
}

// ------------------------------ nesting and machinery ------------------------------

TEST_F(VmapNested, VmapOfVmap) {
  // vmap(vmap(f)) over two batch axes against a double loop.
  array A = tx::rand64({3, 4, 5}, -1, 1, 1);  // batch 3 (outer, axis 0), batch 5 (inner, axis 1)
  array B = tx::rand64({4, 2}, -1, 1, 2);
  auto f = [](const std::vector<array>& v) {
    return std::vector<array>{softmax(matmul(v[0], v[1]), 0) * sum(v[0])};
  };
  // Inner: x batched on its axis 1 (per-example (4,)), B unbatched. Outer: A on axis 0.
  ArrayFn inner = vmap(f, {1, -1}, {0});
  ArrayFn outer = vmap(inner, {0, -1}, {1});
  auto got = outer({A, B});
  std::vector<array> rows;
  for (int i = 0; i < 3; ++i) {
    std::vector<array> cols;
    for (int j = 0; j < 5; ++j) {
      array aij = slice(A, {i, 0, j}, {i + 1, 4, j + 1});
      cols.push_back(f({reshape(aij, {4}), B})[0]);
    }
    rows.push_back(stack(cols, 0));  // inner out axis 0: (5, 2)
  }
  array want = stack(rows, 1);  // outer out axis 1: (5, 3, 2)
  ASSERT_EQ(got[0].shape(), want.shape());
  EXPECT_TRUE(tandem_test::arrays_close(got[0], want, 100));
  // The same through check_vmap at the outer level (the inner vmap as the function).
  EXPECT_VMAP(inner, {A, B}, {0, -1}, {2});
  EXPECT_VMAP(inner, {transpose(A, {1, 2, 0}), B}, {2, -1}, {0});
  // Three levels, each with its own in/out axes, over X of axes (a0, a1, a2, a3) = (3, 2, 4, 5):
  // the outer vmap takes a0 (out axis 2), the middle one a3 (axis 2 of (a1, a2, a3); out axis 1),
  // the inner one a1 (out axis 0); each example is a 1-d softmax over a2. Result (a1, a3, a0, a2).
  array X = tx::rand64({3, 2, 4, 5}, -1, 1, 3);
  auto sm = [](const std::vector<array>& v) { return std::vector<array>{softmax(v[0])}; };
  auto three = vmap(vmap(vmap(sm, {0}, {0}), {2}, {1}), {0}, {2});
  array want3 = transpose(softmax(X, 2), {1, 3, 0, 2});
  auto got3 = three({X});
  ASSERT_EQ(got3[0].shape(), want3.shape());
  EXPECT_TRUE(tandem_test::arrays_close(got3[0], want3, 10));
}

TEST_F(VmapMachinery, OutputsNotDependingOnTheBatch) {
  array x = tx::rand64({3, 2}, -1, 1, 1);
  array c = tx::rand64({2}, -1, 1, 2);
  ArrayFn f = [c](const std::vector<array>& v) {
    return std::vector<array>{v[0], c, v[1], exp(v[0])};
  };
  auto out = vmap(f, {0, -1}, {0, 0, 1, 1})({x, c});
  ASSERT_EQ(out.size(), 4u);
  // The identity output is the batched input itself; unbatched outputs repeat along the batch.
  EXPECT_TRUE(tandem_test::arrays_close(out[0], x));
  EXPECT_EQ(out[1].shape(), (Shape{3, 2}));
  EXPECT_TRUE(tandem_test::arrays_close(out[1], broadcast_to(c, {3, 2})));
  EXPECT_EQ(out[2].shape(), (Shape{2, 3}));
  EXPECT_TRUE(tandem_test::arrays_close(out[3], transpose(exp(x))));
}

TEST_F(VmapMachinery, ConvenienceOverloads) {
  array x = tx::rand64({3, 4}, -1, 1, 1), y = tx::rand64({4, 3}, -1, 1, 2);
  auto f1 = vmap([](const array& a) { return sum(square(a)); }, 1, 0);
  EXPECT_TRUE(tandem_test::arrays_close(f1(x), sum(square(x), 0)));
  auto f2 = vmap([](const array& a, const array& b) { return multiply(a, b); }, 0, 1, 1);
  EXPECT_TRUE(tandem_test::arrays_close(f2(x, y), transpose(x * transpose(y))));
}

TEST_F(VmapMachinery, IntegerAndBoolInputs) {
  array n = array({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  ArrayFn f = [](const std::vector<array>& v) {
    return std::vector<array>{sum(v[0]), v[0] * 2, logical_not(v[0] > 2),
                              astype(v[0], float32) / 2.0f};
  };
  EXPECT_VMAP(f, {n}, {1}, {0, 1, 0, 1});
}

TEST_F(VmapNested, InnerFunctionUsesOuterBatchedValue) {
  // The inner vmap sees the outer example x as an unbatched value: out[i, j] = f(x_i, y_j).
  array X = tx::rand64({3, 4}, -1, 1, 1), Y = tx::rand64({5, 4}, -1, 1, 2);
  auto fv = [](const array& x, const array& y) {
    return sum(multiply(x, y)) + max(x) * exp(slice(y, {0}, {1}));
  };
  auto outer = vmap(
      [fv, Y](const array& x) { return vmap([fv, x](const array& y) { return fv(x, y); })(Y); });
  array got = outer(X);
  ASSERT_EQ(got.shape(), (Shape{3, 5, 1}));
  std::vector<double> want;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 5; ++j)
      want.push_back(values(fv(tx::batch_element(X, i, 0), tx::batch_element(Y, j, 0)))[0]);
  EXPECT_ARRAY_CLOSE(got, want, Shape{3, 5, 1}, 1e-12, 1e-12);
}

// ------------------------------ vmap of derivatives ------------------------------

namespace {

// A loss touching many rules: matmul, softmax, logsumexp, max, where, slice, concatenate, pad,
// broadcast, reductions.
array rich_loss(const std::vector<array>& p) {
  const array &w = p[0], &x = p[1];
  array h = matmul(w, x);  // (3,)
  array s = softmax(h, 0);
  array cat = concatenate({h, slice(x, {1}, {3})});
  array padded = pad(cat, {{1, 1}}, array(0.5, float64), "constant");
  array m = where(greater(padded, array(0.0, float64)), padded, square(padded));
  return sum(s * h) + logsumexp(m) + max(x) * mean(tanh(w)) + sum(var(broadcast_to(h, {2, 3}), 1));
}

}  // namespace

TEST_F(VmapCompose, VmapOfGrad) {
  array W = tx::rand64({3, 4}, -1, 1, 1);
  array Xs = tx::rand64({5, 4}, -1, 1, 2);
  ArrayFn g = [](const std::vector<array>& p) { return grad(rich_loss, {0, 1})(p); };
  EXPECT_VMAP(g, {W, Xs}, {-1, 0});
  EXPECT_VMAP(g, {W, transpose(Xs)}, {-1, 1}, {2, 1});
  EXPECT_VMAP(g, {stack({W, W * 2.0, W * 0.5}, 2), tx::rand64({4, 3}, -1, 1, 3)}, {2, 1}, {0, -1});
}

TEST_F(VmapCompose, VmapOfJvpAndJvpOfVmap) {
  array W = tx::rand64({3, 4}, -1, 1, 1);
  array Xs = tx::rand64({5, 4}, -1, 1, 2), Ts = tx::rand64({5, 4}, -1, 1, 3);
  ArrayFn fj = [W](const std::vector<array>& p) {
    auto f = [W](const std::vector<array>& q) { return std::vector<array>{rich_loss({W, q[0]})}; };
    return jvp(f, {p[0]}, {p[1]}).second;
  };
  EXPECT_VMAP(fj, {Xs, Ts}, {0, 0});
  EXPECT_VMAP(fj, {Xs, transpose(Ts)}, {0, 1});
  // jvp of the vmapped function equals the vmap of the jvps.
  ArrayFn batched_loss = vmap(
      [W](const std::vector<array>& q) {
        return std::vector<array>{rich_loss({W, q[0]})};
      },
      {0});
  auto [o, t] = jvp(batched_loss, {Xs}, {Ts});
  auto want = vmap(fj, {0, 0})({Xs, Ts});
  EXPECT_TRUE(tandem_test::arrays_close(t[0], want[0], 100));
}

TEST_F(VmapCompose, VmapOfSecondDerivative) {
  // Per-example Hessian diagonals of an elementwise function.
  auto d2 = [](const array& x) {
    auto d1 = grad([](const array& a) { return sum(tanh(a) * exp(a)); });
    return grad([d1](const array& a) { return sum(d1(a)); })(x);
  };
  array X = tx::rand64({4, 3}, -1, 1, 5);
  EXPECT_VMAP(tx::unary_v(d2), {X}, {1}, {1});
}
