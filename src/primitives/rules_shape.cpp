// Copyright © 2026 Tandem authors.
// Derivative and batching rules of the conversion, copy, view and joining primitives. Most are
// linear: their jvp applies the same primitive to the tangent.
#include <numeric>

#include "primitives/rules_common.h"

namespace tandem {

using detail::fail;

// ---------------- AsType ----------------

std::vector<array> AsType::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                               const std::vector<int>&, const std::vector<array>&) {
  const array& x = primals[0];
  if (!is_inexact(x.dtype()) || !is_inexact(dtype_)) return {zeros_like(x, stream())};
  return {astype(cots[0], x.dtype(), stream())};
}
std::vector<array> AsType::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents, const std::vector<int>&) {
  if (!is_inexact(primals[0].dtype()) || !is_inexact(dtype_)) {
    return {zeros(primals[0].shape(), dtype_, stream())};
  }
  return {astype(tangents[0], dtype_, stream())};
}
std::pair<std::vector<array>, std::vector<int>> AsType::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes) {
  return {{astype(inputs[0], dtype_, stream())}, {axes[0]}};
}

// ---------------- Copy ----------------

std::vector<array> Copy::vjp(const std::vector<array>&, const std::vector<array>& cots,
                             const std::vector<int>&, const std::vector<array>&) {
  return {cots[0]};
}
std::vector<array> Copy::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                             const std::vector<int>&) {
  return {tangents[0]};
}
std::pair<std::vector<array>, std::vector<int>> Copy::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes) {
  return {{detail::make<Copy>(inputs[0].shape(), inputs[0].dtype(), {inputs[0]}, stream(),
                              if_needed_, allow_col_major_)},
          {axes[0]}};
}

// ---------------- Concatenate ----------------

std::vector<array> Concatenate::vjp(const std::vector<array>& primals,
                                    const std::vector<array>& cots, const std::vector<int>& argnums,
                                    const std::vector<array>&) {
  const array& cot = cots[0];
  std::vector<int> starts{0};
  for (auto& p : primals)
    starts.push_back(starts.back() + p.shape()[axis_]);
  std::vector<array> out;
  for (int a : argnums) {
    Shape st(cot.ndim(), 0), en = cot.shape();
    st[axis_] = starts[a];
    en[axis_] = starts[a + 1];
    out.push_back(slice(cot, st, en, stream()));
  }
  return out;
}
std::vector<array> Concatenate::jvp(const std::vector<array>& primals,
                                    const std::vector<array>& tangents,
                                    const std::vector<int>& argnums) {
  std::vector<array> ts;
  for (auto& p : primals)
    ts.push_back(zeros_like(p, stream()));
  for (size_t k = 0; k < argnums.size(); ++k)
    ts[argnums[k]] = tangents[k];
  return {concatenate(ts, axis_, stream())};
}
std::pair<std::vector<array>, std::vector<int>> Concatenate::vmap(const std::vector<array>& inputs,
                                                                  const std::vector<int>& axes) {
  const Stream& s = stream();
  int batch = 1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) batch = inputs[i].shape()[axes[i]];
  }
  std::vector<array> v;
  for (size_t i = 0; i < inputs.size(); ++i) {
    array x = rules::batch_to_front(inputs[i], axes[i], s);
    Shape sh = x.shape();
    sh[0] = batch;
    v.push_back(broadcast_to(x, sh, s));
  }
  return {{concatenate(v, axis_ + 1, s)}, {0}};
}

// ---------------- Reshape ----------------

std::vector<array> Reshape::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                                const std::vector<int>&, const std::vector<array>&) {
  return {reshape(cots[0], primals[0].shape(), stream())};
}
std::vector<array> Reshape::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                const std::vector<int>&) {
  return {reshape(tangents[0], shape_, stream())};
}
std::pair<std::vector<array>, std::vector<int>> Reshape::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  array x = rules::batch_to_front(inputs[0], axes[0], stream());
  Shape sh = shape_;
  sh.insert(sh.begin(), x.shape()[0]);
  return {{reshape(x, sh, stream())}, {0}};
}

// ---------------- Transpose ----------------

std::vector<array> Transpose::vjp(const std::vector<array>&, const std::vector<array>& cots,
                                  const std::vector<int>&, const std::vector<array>&) {
  std::vector<int> inv(axes_.size());
  for (size_t i = 0; i < axes_.size(); ++i)
    inv[axes_[i]] = static_cast<int>(i);
  return {transpose(cots[0], inv, stream())};
}
std::vector<array> Transpose::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                  const std::vector<int>&) {
  return {transpose(tangents[0], axes_, stream())};
}
std::pair<std::vector<array>, std::vector<int>> Transpose::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes) {
  array x = rules::batch_to_front(inputs[0], axes[0], stream());
  std::vector<int> perm{0};
  for (int a : axes_)
    perm.push_back(a + 1);
  return {{transpose(x, perm, stream())}, {0}};
}

// ---------------- Broadcast ----------------

std::vector<array> Broadcast::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                                  const std::vector<int>&, const std::vector<array>&) {
  const array& x = primals[0];
  const array& cot = cots[0];
  // Sum over the added leading axes and the axes where x had extent 1.
  std::vector<int> axes;
  int lead = cot.ndim() - x.ndim();
  for (int d = 0; d < cot.ndim(); ++d) {
    if (d < lead || (x.shape()[d - lead] == 1 && cot.shape()[d] != 1)) axes.push_back(d);
  }
  array g = axes.empty() ? cot : sum(cot, axes, true, stream());
  return {reshape(g, x.shape(), stream())};
}
std::vector<array> Broadcast::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                  const std::vector<int>&) {
  return {broadcast_to(tangents[0], shape_, stream())};
}
std::pair<std::vector<array>, std::vector<int>> Broadcast::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes) {
  const Stream& s = stream();
  array x = rules::batch_to_front(inputs[0], axes[0], s);
  // (B, in...) -> (B, 1..., in...) -> (B, shape...)
  Shape sh = x.shape();
  int missing = static_cast<int>(shape_.size()) - (x.ndim() - 1);
  sh.insert(sh.begin() + 1, missing, 1);
  Shape target = shape_;
  target.insert(target.begin(), x.shape()[0]);
  return {{broadcast_to(reshape(x, sh, s), target, s)}, {0}};
}

// ---------------- Slice ----------------

std::vector<array> Slice::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                              const std::vector<int>&, const std::vector<array>&) {
  // Scatter the cotangent back into zeros, one axis at a time: undo a negative stride by
  // flipping, interleave stride-1 zeros between elements, then pad before and after.
  const Stream& s = stream();
  const array& x = primals[0];
  array g = cots[0];
  for (int d = 0; d < x.ndim(); ++d) {
    int n = x.shape()[d];
    int m = g.shape()[d];
    int st = strides_[d];
    if (m == 0) {
      Shape sh = g.shape();
      sh[d] = n;
      g = zeros(sh, g.dtype(), s);
      continue;
    }
    int first = start_[d];            // input index of g[0] along d
    int last = first + (m - 1) * st;  // input index of g[m-1]
    if (st < 0) {
      g = flip(g, d, s);
      std::swap(first, last);
      st = -st;
    }
    if (st > 1) {
      array e = expand_dims(g, d + 1, s);
      std::vector<int> axes{d + 1};
      e = pad(e, axes, {0}, {st - 1}, array(0, g.dtype()), "constant", s);
      Shape sh = g.shape();
      sh[d] = m * st;
      g = reshape(e, sh, s);
      Shape b(g.ndim(), 0), en = g.shape();
      en[d] = (m - 1) * st + 1;
      g = slice(g, b, en, s);
    }
    g = pad(g, {d}, {first}, {n - 1 - last}, array(0, g.dtype()), "constant", s);
  }
  return {g};
}
std::vector<array> Slice::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                              const std::vector<int>&) {
  return {slice(tangents[0], start_, rules::reslice_stops(stop_, strides_, tangents[0].shape()),
                strides_, stream())};
}
std::pair<std::vector<array>, std::vector<int>> Slice::vmap(const std::vector<array>& inputs,
                                                            const std::vector<int>& axes) {
  array x = rules::batch_to_front(inputs[0], axes[0], stream());
  Shape st = start_, str = strides_;
  Shape en = rules::reslice_stops(stop_, strides_, Shape(x.shape().begin() + 1, x.shape().end()));
  st.insert(st.begin(), 0);
  en.insert(en.begin(), x.shape()[0]);
  str.insert(str.begin(), 1);
  return {{slice(x, st, en, str, stream())}, {0}};
}

// ---------------- AsStrided ----------------

std::vector<array> AsStrided::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                                  const std::vector<int>&, const std::vector<array>&) {
  // The input is the flat row-major source; output element i reads source[flat(i)], so the
  // cotangent is scatter-added back at those positions (overlapping windows accumulate).
  const Stream& s = stream();
  const array& x = primals[0];
  const array& cot = cots[0];
  array idx = array(static_cast<int64_t>(offset_), int64);
  for (size_t d = 0; d < shape_.size(); ++d) {
    Shape r(shape_.size(), 1);
    r[d] = shape_[d];
    array ad = multiply(astype(reshape(arange(0, shape_[d], s), r, s), int64, s),
                        array(strides_[d], int64), s);
    idx = add(idx, ad, s);
  }
  idx = reshape(broadcast_to(idx, shape_, s), {-1}, s);
  array upd = reshape(cot, {static_cast<int32_t>(cot.size()), 1}, s);
  return {reshape(
      scatter_add(zeros(Shape{static_cast<int32_t>(x.size())}, cot.dtype(), s), idx, upd, 0, s),
      x.shape(), s)};
}
std::vector<array> AsStrided::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                  const std::vector<int>&) {
  return {as_strided(tangents[0], shape_, strides_, offset_, stream())};
}
std::pair<std::vector<array>, std::vector<int>> AsStrided::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes) {
  // Each batch element views its own row-major block: add a leading batch stride.
  array x = rules::batch_to_front(inputs[0], axes[0], stream());
  int64_t block = static_cast<int64_t>(x.size()) / std::max(1, x.shape()[0]);
  Shape sh = shape_;
  Strides st = strides_;
  sh.insert(sh.begin(), x.shape()[0]);
  st.insert(st.begin(), block);
  return {{as_strided(x, sh, st, offset_, stream())}, {0}};
}

// ---------------- View ----------------

std::vector<array> View::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                             const std::vector<int>&, const std::vector<array>&) {
  const array& x = primals[0];
  if (x.itemsize() != dtype_.size || !is_floating_point(x.dtype()) || !is_floating_point(dtype_)) {
    fail("view", "Gradients pass through view only between floating types of the same size.");
  }
  return {view(cots[0], x.dtype(), stream())};
}
std::vector<array> View::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                             const std::vector<int>&) {
  const array& x = primals[0];
  if (x.itemsize() != dtype_.size || !is_floating_point(x.dtype()) || !is_floating_point(dtype_)) {
    fail("view", "Tangents pass through view only between floating types of the same size.");
  }
  return {view(tangents[0], dtype_, stream())};
}
std::pair<std::vector<array>, std::vector<int>> View::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes) {
  array x = rules::batch_to_front(inputs[0], axes[0], stream());
  return {{view(x, dtype_, stream())}, {0}};
}

// ---------------- Diagonal ----------------

std::vector<array> Diagonal::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                                 const std::vector<int>&, const std::vector<array>&) {
  // Place the cotangent on the diagonal of an (n1, n2) plane, then move the plane's axes back.
  const Stream& s = stream();
  const array& x = primals[0];
  const array& cot = cots[0];  // (rest..., L)
  int n1 = x.shape()[axis1_], n2 = x.shape()[axis2_];
  int L = cot.shape(-1);
  int lead = std::min(n1, offset_ >= 0 ? 0 : -offset_);  // row of the first diagonal element
  array col = pad(cot, {cot.ndim() - 1}, {lead}, {n1 - lead - L}, array(0, cot.dtype()), "constant",
                  s);  // (rest..., n1)
  array plane = where(eye(n1, n2, offset_, bool_, s), expand_dims(col, -1, s),
                      zeros({}, cot.dtype(), s), s);  // (rest..., n1, n2)
  // Axes of `plane`: rest (in x's order without axis1/axis2), then axis1, then axis2.
  std::vector<int> src_of(x.ndim());
  int r = 0;
  for (int d = 0; d < x.ndim(); ++d) {
    if (d == axis1_)
      src_of[d] = x.ndim() - 2;
    else if (d == axis2_)
      src_of[d] = x.ndim() - 1;
    else
      src_of[d] = r++;
  }
  return {transpose(plane, src_of, s)};
}
std::vector<array> Diagonal::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                 const std::vector<int>&) {
  return {diagonal(tangents[0], offset_, axis1_, axis2_, stream())};
}
std::pair<std::vector<array>, std::vector<int>> Diagonal::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes) {
  array x = rules::batch_to_front(inputs[0], axes[0], stream());
  return {{diagonal(x, offset_, axis1_ + 1, axis2_ + 1, stream())}, {0}};
}

}  // namespace tandem
