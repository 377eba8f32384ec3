// Copyright © 2026 Tandem authors.
// vjp, jvp, vmap and what is built on them. Each traces the user's function on stand-in arrays,
// collects the nodes that depend on them (iteratively: graphs of any depth), and applies the
// primitives' rules.
#include "tandem/transforms.h"

#include <algorithm>
#include <atomic>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "ops/ops_common.h"
#include "primitives/custom.h"

namespace tandem {

using detail::fail;

namespace {

// Number of vjp/jvp calls in progress (any thread). While it is non-zero, eval keeps the graph of
// the arrays it computes, so a function that evaluates intermediate values (eval, item, printing)
// is still differentiated through them.
std::atomic<int> g_tracing{0};

struct TracingScope {
  TracingScope() { g_tracing.fetch_add(1); }
  ~TracingScope() { g_tracing.fetch_sub(1); }
  TracingScope(const TracingScope&) = delete;
  TracingScope& operator=(const TracingScope&) = delete;
};

bool is_stop_gradient(const array& a) {
  auto p = a.primitive_ptr();
  if (!p) return false;
  auto* u = dynamic_cast<const Unary*>(p.get());
  return u && u->op() == UnaryOp::StopGradient;
}

// Nodes reachable from `outputs` that depend on one of `sources`, in topological order (inputs
// first). A node is represented by one of its outputs. With `through_stop_gradient` false,
// stop_gradient nodes cut the dependency.
std::vector<array> dependent_tape(const std::vector<array>& outputs,
                                  std::unordered_set<std::uintptr_t>& tracked,
                                  bool through_stop_gradient) {
  std::vector<array> tape;
  std::unordered_set<const void*> visited;
  struct Frame {
    array a;
    size_t next;
  };
  std::vector<Frame> stack;
  auto key = [](const array& a) -> const void* {
    auto p = a.primitive_ptr();
    return p ? static_cast<const void*>(p.get()) : reinterpret_cast<const void*>(a.id());
  };
  for (auto& out : outputs) {
    if (!visited.insert(key(out)).second) continue;
    stack.push_back({out, 0});
    while (!stack.empty()) {
      size_t i = stack.back().next;
      const array& cur = stack.back().a;
      const auto& ins = cur.inputs();
      if (i < ins.size() && !tracked.count(cur.id())) {
        stack.back().next++;
        array in = ins[i];
        if (visited.insert(key(in)).second) stack.push_back({std::move(in), 0});
      } else {
        array a = std::move(stack.back().a);
        stack.pop_back();
        if (tracked.count(a.id()) || !a.primitive_ptr()) continue;  // sources and leaves
        if (!through_stop_gradient && is_stop_gradient(a)) continue;
        bool dep = false;
        for (auto& in : a.inputs())
          dep = dep || tracked.count(in.id());
        if (!dep) continue;
        for (auto& o : a.outputs())
          tracked.insert(o.id());
        tape.push_back(std::move(a));
      }
    }
  }
  return tape;
}

// A fresh node standing for `p` inside a trace (so the trace can tell it apart).
array trace_input(const array& p) {
  return detail::make<Copy>(p.shape(), p.dtype(), {p}, to_stream({}));
}

}  // namespace

namespace detail {
bool in_tracing() {
  return g_tracing.load() > 0;
}
}  // namespace detail

std::pair<std::vector<array>, std::vector<array>> vjp(const ArrayFn& fun,
                                                      const std::vector<array>& primals,
                                                      const std::vector<array>& cotangents) {
  TracingScope tracing;
  std::vector<array> inputs;
  std::unordered_set<std::uintptr_t> tracked;
  for (auto& p : primals) {
    inputs.push_back(trace_input(p));
    tracked.insert(inputs.back().id());
  }
  std::vector<array> outputs = fun(inputs);
  if (cotangents.size() != outputs.size()) {
    fail("vjp", "Got " + std::to_string(cotangents.size()) + " cotangents for " +
                    std::to_string(outputs.size()) + " outputs.");
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i].shape() != cotangents[i].shape()) {
      fail("vjp", "Cotangent " + std::to_string(i) + " has shape " +
                      shape_to_string(cotangents[i].shape()) + " but the output has shape " +
                      shape_to_string(outputs[i].shape()) + ".");
    }
  }
  auto tape = dependent_tape(outputs, tracked, false);

  std::unordered_map<std::uintptr_t, array> cot;
  auto accumulate = [&](const array& target, array c) {
    auto it = cot.find(target.id());
    if (it == cot.end()) {
      cot.emplace(target.id(), std::move(c));
    } else {
      it->second = add(it->second, c);
    }
  };
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (tracked.count(outputs[i].id())) {
      accumulate(outputs[i], astype(cotangents[i], outputs[i].dtype()));
    }
  }
  for (auto it = tape.rbegin(); it != tape.rend(); ++it) {
    array& a = *it;
    std::vector<array> outs = a.outputs();
    std::vector<array> cots;
    bool any = false;
    for (auto& o : outs) {
      auto c = cot.find(o.id());
      if (c != cot.end()) {
        cots.push_back(c->second);
        any = true;
      } else {
        cots.push_back(zeros_like(o));
      }
    }
    if (!any) continue;
    for (auto& o : outs)
      cot.erase(o.id());
    std::vector<int> argnums;
    const auto& ins = a.inputs();
    for (int j = 0; j < static_cast<int>(ins.size()); ++j) {
      if (tracked.count(ins[j].id())) argnums.push_back(j);
    }
    auto grads = a.primitive().vjp(ins, cots, argnums, outs);
    for (size_t k = 0; k < argnums.size(); ++k)
      accumulate(ins[argnums[k]], grads[k]);
  }
  std::vector<array> grads;
  for (size_t i = 0; i < primals.size(); ++i) {
    auto c = cot.find(inputs[i].id());
    grads.push_back(c != cot.end() ? astype(c->second, primals[i].dtype())
                                   : zeros_like(primals[i]));
  }
  return {outputs, grads};
}

std::pair<array, array> vjp(const std::function<array(const array&)>& fun, const array& primal,
                            const array& cotangent) {
  auto [outs, grads] =
      vjp([&](const std::vector<array>& x) { return std::vector<array>{fun(x[0])}; }, {primal},
          {cotangent});
  return {outs[0], grads[0]};
}

std::pair<std::vector<array>, std::vector<array>> jvp(const ArrayFn& fun,
                                                      const std::vector<array>& primals,
                                                      const std::vector<array>& tangents) {
  TracingScope tracing;
  if (primals.size() != tangents.size()) {
    fail("jvp", "Got " + std::to_string(tangents.size()) + " tangents for " +
                    std::to_string(primals.size()) + " primals.");
  }
  std::vector<array> inputs;
  std::unordered_set<std::uintptr_t> tracked;
  std::unordered_map<std::uintptr_t, array> tan;
  for (size_t i = 0; i < primals.size(); ++i) {
    if (primals[i].shape() != tangents[i].shape()) {
      fail("jvp", "Tangent " + std::to_string(i) + " has shape " +
                      shape_to_string(tangents[i].shape()) + " but the primal has shape " +
                      shape_to_string(primals[i].shape()) + ".");
    }
    inputs.push_back(trace_input(primals[i]));
    tracked.insert(inputs.back().id());
    tan.emplace(inputs.back().id(), astype(tangents[i], primals[i].dtype()));
  }
  std::vector<array> outputs = fun(inputs);
  auto tape = dependent_tape(outputs, tracked, false);
  for (auto& a : tape) {
    const auto& ins = a.inputs();
    std::vector<int> argnums;
    std::vector<array> ts;
    for (int j = 0; j < static_cast<int>(ins.size()); ++j) {
      auto t = tan.find(ins[j].id());
      if (t != tan.end()) {
        argnums.push_back(j);
        ts.push_back(t->second);
      }
    }
    auto outs = a.outputs();
    auto touts = a.primitive().jvp(ins, ts, argnums);
    for (size_t k = 0; k < outs.size(); ++k)
      tan.insert_or_assign(outs[k].id(), touts[k]);
  }
  std::vector<array> out_tangents;
  for (auto& o : outputs) {
    auto t = tan.find(o.id());
    out_tangents.push_back(t != tan.end() ? t->second : zeros_like(o));
  }
  return {outputs, out_tangents};
}

std::pair<array, array> jvp(const std::function<array(const array&)>& fun, const array& primal,
                            const array& tangent) {
  auto [outs, tans] =
      jvp([&](const std::vector<array>& x) { return std::vector<array>{fun(x[0])}; }, {primal},
          {tangent});
  return {outs[0], tans[0]};
}

// ---------------- value_and_grad / grad ----------------

ValueAndGradFn value_and_grad(const ArrayFn& fun, const std::vector<int>& argnums) {
  if (argnums.empty()) fail("value_and_grad", "argnums must not be empty.");
  return [fun, argnums](const std::vector<array>& args) {
    std::vector<int> idx;
    for (int a : argnums) {
      int n = static_cast<int>(args.size());
      int k = a < 0 ? a + n : a;
      if (k < 0 || k >= n) {
        fail("value_and_grad", "argnum " + std::to_string(a) + " is out of range for " +
                                   std::to_string(n) + " arguments.");
      }
      idx.push_back(k);
    }
    std::vector<array> primals;
    for (int k : idx)
      primals.push_back(args[k]);
    std::vector<array> outputs;
    auto wrapped = [&](const std::vector<array>& p) {
      std::vector<array> full = args;
      for (size_t i = 0; i < idx.size(); ++i)
        full[idx[i]] = p[i];
      auto outs = fun(full);
      if (outs.empty() || outs[0].size() != 1) {
        fail("value_and_grad",
             "The function's first output must be a scalar; got shape " +
                 (outs.empty() ? std::string("(none)") : shape_to_string(outs[0].shape())) + ".");
      }
      outputs = outs;
      // Only the first output (the loss) is differentiated; the rest are auxiliary values. A loss
      // of shape (1,), (1, 1), ... is differentiated as a 0-d array (the cotangent is 0-d).
      array loss = outs[0].ndim() == 0 ? outs[0] : reshape(outs[0], {});
      return std::vector<array>{loss};
    };
    auto [outs, grads] = vjp(wrapped, primals, {array(1.0f)});
    (void)outs;
    return std::make_pair(outputs, grads);
  };
}

ValueAndGradFn value_and_grad(const ArrayFn& fun, int argnum) {
  return value_and_grad(fun, std::vector<int>{argnum});
}

std::function<std::pair<array, array>(const array&)> value_and_grad(
    const std::function<array(const array&)>& fun) {
  auto vg = value_and_grad(
      [fun](const std::vector<array>& x) { return std::vector<array>{fun(x[0])}; }, 0);
  return [vg](const array& x) {
    auto [v, g] = vg({x});
    return std::make_pair(v[0], g[0]);
  };
}

SimpleValueAndGradFn value_and_grad(const std::function<array(const std::vector<array>&)>& fun,
                                    const std::vector<int>& argnums) {
  auto vg = value_and_grad(
      [fun](const std::vector<array>& x) { return std::vector<array>{fun(x)}; }, argnums);
  return [vg](const std::vector<array>& x) {
    auto [v, g] = vg(x);
    return std::make_pair(v[0], g);
  };
}

SimpleValueAndGradFn value_and_grad(const std::function<array(const std::vector<array>&)>& fun,
                                    int argnum) {
  return value_and_grad(fun, std::vector<int>{argnum});
}

std::function<std::vector<array>(const std::vector<array>&)> grad(
    const std::function<array(const std::vector<array>&)>& fun, const std::vector<int>& argnums) {
  auto vg = value_and_grad(fun, argnums);
  return [vg](const std::vector<array>& x) { return vg(x).second; };
}

std::function<std::vector<array>(const std::vector<array>&)> grad(
    const std::function<array(const std::vector<array>&)>& fun, int argnum) {
  return grad(fun, std::vector<int>{argnum});
}

std::function<array(const array&)> grad(const std::function<array(const array&)>& fun) {
  auto vg = value_and_grad(fun);
  return [vg](const array& x) { return vg(x).second; };
}

// ---------------- vmap ----------------

ArrayFn vmap(const ArrayFn& fun, const std::vector<int>& in_axes_in,
             const std::vector<int>& out_axes_in) {
  return [fun, in_axes_in, out_axes_in](const std::vector<array>& args) {
    std::vector<int> in_axes = in_axes_in;
    if (in_axes.empty()) in_axes.assign(args.size(), 0);
    if (in_axes.size() != args.size()) {
      fail("vmap", "Got " + std::to_string(in_axes.size()) + " in_axes for " +
                       std::to_string(args.size()) + " inputs.");
    }
    int batch = -1;
    std::vector<array> stand_ins;
    std::unordered_set<std::uintptr_t> tracked;
    std::unordered_map<std::uintptr_t, std::pair<array, int>> batched;
    for (size_t i = 0; i < args.size(); ++i) {
      if (in_axes[i] < 0) {
        stand_ins.push_back(args[i]);
        continue;
      }
      int ax = normalize_axis(in_axes[i], args[i].ndim(), "vmap");
      int n = args[i].shape()[ax];
      if (batch >= 0 && n != batch) {
        fail("vmap", "Inputs have different batch sizes (" + std::to_string(batch) + " and " +
                         std::to_string(n) + ").");
      }
      batch = n;
      Shape s = args[i].shape();
      s.erase(s.begin() + ax);
      // A stand-in of the per-example shape; it is never evaluated.
      array stand_in(s, args[i].dtype(), nullptr, {});
      tracked.insert(stand_in.id());
      batched.emplace(stand_in.id(), std::make_pair(args[i], ax));
      stand_ins.push_back(stand_in);
    }
    if (batch < 0) fail("vmap", "At least one input must have a batch axis.");
    std::vector<array> outputs = fun(stand_ins);
    auto tape = dependent_tape(outputs, tracked, true);
    for (auto& a : tape) {
      const auto& ins = a.inputs();
      std::vector<array> vins;
      std::vector<int> axes;
      for (auto& in : ins) {
        auto b = batched.find(in.id());
        if (b != batched.end()) {
          vins.push_back(b->second.first);
          axes.push_back(b->second.second);
        } else {
          vins.push_back(in);
          axes.push_back(-1);
        }
      }
      auto [vouts, vaxes] = a.primitive().vmap(vins, axes);
      auto outs = a.outputs();
      for (size_t k = 0; k < outs.size(); ++k) {
        batched.insert_or_assign(outs[k].id(), std::make_pair(vouts[k], vaxes[k]));
      }
    }
    std::vector<int> out_axes = out_axes_in;
    if (out_axes.empty()) out_axes.assign(outputs.size(), 0);
    if (out_axes.size() != outputs.size()) {
      fail("vmap", "Got " + std::to_string(out_axes.size()) + " out_axes for " +
                       std::to_string(outputs.size()) + " outputs.");
    }
    std::vector<array> results;
    for (size_t k = 0; k < outputs.size(); ++k) {
      auto b = batched.find(outputs[k].id());
      array r = outputs[k];
      int ax;
      if (b == batched.end()) {
        // Not batched: repeat it along a new batch axis.
        Shape s = r.shape();
        s.insert(s.begin(), batch);
        r = broadcast_to(expand_dims(r, 0), s);
        ax = 0;
      } else {
        r = b->second.first;
        ax = b->second.second;
      }
      int dst = normalize_axis(out_axes[k], r.ndim(), "vmap");
      results.push_back(moveaxis(r, ax, dst));
    }
    return results;
  };
}

std::function<array(const array&)> vmap(const std::function<array(const array&)>& fun, int in_axis,
                                        int out_axis) {
  auto v = vmap([fun](const std::vector<array>& x) { return std::vector<array>{fun(x[0])}; },
                {in_axis}, {out_axis});
  return [v](const array& x) { return v({x})[0]; };
}

std::function<array(const array&, const array&)> vmap(
    const std::function<array(const array&, const array&)>& fun, int in_axis_a, int in_axis_b,
    int out_axis) {
  auto v = vmap([fun](const std::vector<array>& x) { return std::vector<array>{fun(x[0], x[1])}; },
                {in_axis_a, in_axis_b}, {out_axis});
  return [v](const array& a, const array& b) { return v({a, b})[0]; };
}

// ---------------- custom functions and checkpoint ----------------

ArrayFn custom_function(ArrayFn fun, std::optional<CustomVjpFn> fun_vjp,
                        std::optional<CustomJvpFn> fun_jvp, std::optional<CustomVmapFn> fun_vmap) {
  return [fun, fun_vjp, fun_jvp, fun_vmap](const std::vector<array>& args) {
    std::vector<array> outputs = fun(args);
    std::vector<array> inputs = args;
    std::vector<Shape> shapes;
    std::vector<Dtype> dtypes;
    for (auto& o : outputs) {
      inputs.push_back(stop_gradient(o));
      shapes.push_back(o.shape());
      dtypes.push_back(o.dtype());
    }
    auto prim = std::make_shared<CustomTransforms>(to_stream({}), static_cast<int>(args.size()),
                                                   fun, fun_vjp, fun_jvp, fun_vmap);
    return array::make_arrays(std::move(shapes), dtypes, prim, inputs);
  };
}

std::vector<array> depends(const std::vector<array>& inputs,
                           const std::vector<array>& dependencies) {
  if (inputs.empty()) fail("depends", "At least one input is required.");
  size_t n = inputs.size();
  // custom_function's node takes every argument as an input, so evaluating an output evaluates
  // the dependencies first; the outputs share the inputs' buffers.
  ArrayFn fun = [n](const std::vector<array>& xs) {
    return std::vector<array>(xs.begin(), xs.begin() + n);
  };
  CustomVjpFn fvjp = [n](const std::vector<array>& primals, const std::vector<array>& cotangents,
                         const std::vector<array>&) {
    std::vector<array> out(cotangents.begin(), cotangents.end());
    for (size_t i = n; i < primals.size(); ++i)
      out.push_back(zeros_like(primals[i]));
    return out;
  };
  CustomJvpFn fjvp = [n](const std::vector<array>& primals, const std::vector<array>& tangents,
                         const std::vector<int>& argnums) {
    std::vector<array> out;
    for (size_t i = 0; i < n; ++i) {
      auto it = std::find(argnums.begin(), argnums.end(), static_cast<int>(i));
      out.push_back(it == argnums.end() ? zeros_like(primals[i]) : tangents[it - argnums.begin()]);
    }
    return out;
  };
  std::vector<array> args = inputs;
  args.insert(args.end(), dependencies.begin(), dependencies.end());
  return custom_function(fun, fvjp, fjvp)(args);
}

ArrayFn custom_vjp(ArrayFn fun, CustomVjpFn fun_vjp) {
  return custom_function(std::move(fun), std::move(fun_vjp));
}

ArrayFn checkpoint(ArrayFn fun) {
  CustomVjpFn recompute = [fun](const std::vector<array>& primals,
                                const std::vector<array>& cotangents, const std::vector<array>&) {
    return vjp(fun, primals, cotangents).second;
  };
  return custom_function(fun, recompute);
}

void CustomTransforms::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i)
    outputs[i].copy_shared_buffer(inputs[num_primals_ + i]);
}
void CustomTransforms::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  eval_cpu(inputs, outputs);  // shares buffers: no data moves on any device
}

std::vector<array> CustomTransforms::vjp(const std::vector<array>& primals,
                                         const std::vector<array>& cotangents,
                                         const std::vector<int>& argnums,
                                         const std::vector<array>& outputs) {
  std::vector<array> args(primals.begin(), primals.begin() + num_primals_);
  std::vector<array> all;
  if (vjp_) {
    all = (*vjp_)(args, cotangents, outputs);
  } else {
    all = tandem::vjp(fun_, args, cotangents).second;
  }
  if (all.size() != args.size()) {
    fail("custom_function", "The vjp returned " + std::to_string(all.size()) + " cotangents for " +
                                std::to_string(args.size()) + " inputs.");
  }
  std::vector<array> out;
  for (int a : argnums)
    out.push_back(a < num_primals_ ? all[a] : zeros_like(primals[a]));
  return out;
}

std::vector<array> CustomTransforms::jvp(const std::vector<array>& primals,
                                         const std::vector<array>& tangents,
                                         const std::vector<int>& argnums) {
  std::vector<array> args(primals.begin(), primals.begin() + num_primals_);
  std::vector<int> nums;
  std::vector<array> ts;
  for (size_t k = 0; k < argnums.size(); ++k) {
    if (argnums[k] < num_primals_) {
      nums.push_back(argnums[k]);
      ts.push_back(tangents[k]);
    }
  }
  if (jvp_) return (*jvp_)(args, ts, nums);
  std::vector<array> full;
  for (auto& a : args)
    full.push_back(zeros_like(a));
  for (size_t k = 0; k < nums.size(); ++k)
    full[nums[k]] = ts[k];
  return tandem::jvp(fun_, args, full).second;
}

std::pair<std::vector<array>, std::vector<int>> CustomTransforms::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  std::vector<array> args(inputs.begin(), inputs.begin() + num_primals_);
  std::vector<int> ax(axes.begin(), axes.begin() + num_primals_);
  if (vmap_) return (*vmap_)(args, ax);
  // No batching rule from the user: batch the function and its derivative rules, and keep them
  // attached to the batched computation, so that grad(vmap(f)) and vmap(grad(f)) still use the
  // custom vjp / jvp (and a checkpoint still recomputes). Every argument gets its batch axis in
  // front; unbatched ones are broadcast, whose own vjp then sums their cotangents over the batch.
  int batch = -1;
  for (size_t i = 0; i < args.size(); ++i) {
    if (ax[i] >= 0) {
      batch = args[i].shape(ax[i]);
      break;
    }
  }
  std::vector<array> batched;
  for (size_t i = 0; i < args.size(); ++i) {
    if (ax[i] >= 0) {
      batched.push_back(moveaxis(args[i], ax[i], 0));
    } else {
      Shape sh = args[i].shape();
      sh.insert(sh.begin(), batch);
      batched.push_back(broadcast_to(expand_dims(args[i], 0), sh));
    }
  }
  const size_t n = args.size();
  ArrayFn fun_b = tandem::vmap(fun_, std::vector<int>(n, 0), {});
  std::optional<CustomVjpFn> vjp_b;
  if (vjp_) {
    auto user = *vjp_;
    vjp_b = [user, n](const std::vector<array>& prims, const std::vector<array>& cots,
                      const std::vector<array>& outs) {
      const size_t nc = cots.size();
      ArrayFn per_example = [user, n, nc](const std::vector<array>& all) {
        std::vector<array> p(all.begin(), all.begin() + n);
        std::vector<array> c(all.begin() + n, all.begin() + n + nc);
        std::vector<array> o(all.begin() + n + nc, all.end());
        return user(p, c, o);
      };
      std::vector<array> all = prims;
      all.insert(all.end(), cots.begin(), cots.end());
      all.insert(all.end(), outs.begin(), outs.end());
      return tandem::vmap(per_example, std::vector<int>(all.size(), 0), {})(all);
    };
  }
  std::optional<CustomJvpFn> jvp_b;
  if (jvp_) {
    auto user = *jvp_;
    jvp_b = [user, n](const std::vector<array>& prims, const std::vector<array>& tans,
                      const std::vector<int>& argnums) {
      ArrayFn per_example = [user, n, argnums](const std::vector<array>& all) {
        std::vector<array> p(all.begin(), all.begin() + n);
        std::vector<array> t(all.begin() + n, all.end());
        return user(p, t, argnums);
      };
      std::vector<array> all = prims;
      all.insert(all.end(), tans.begin(), tans.end());
      return tandem::vmap(per_example, std::vector<int>(all.size(), 0), {})(all);
    };
  }
  auto outs = custom_function(fun_b, vjp_b, jvp_b)(batched);
  return {outs, std::vector<int>(outs.size(), 0)};
}

}  // namespace tandem
