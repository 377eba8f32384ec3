// Copyright © 2026 Tandem authors.
// The scheduler (DESIGN §5): topological order of the unevaluated subgraph, then each node runs on
// its stream's device. Traversal is iterative so graphs of any depth are safe.
#include <atomic>
#include <cstdint>
#include <future>
#include <mutex>
#include <vector>

#include "core/backend_hooks.h"
#include "core/node.h"
#include "tandem/primitive.h"
#include "tandem/transforms.h"

namespace tandem {

std::vector<array> node_outputs(const array& a);

namespace detail {
// Whether vjp/jvp is tracing a function (transforms.cpp): evaluated nodes then keep their
// primitive and inputs, which the trace still differentiates through.
bool in_tracing();
}  // namespace detail

namespace {

std::mutex g_async_mutex;
std::vector<std::future<void>> g_async;

void wait_for_async() {
  std::vector<std::future<void>> pending;
  {
    std::lock_guard<std::mutex> lk(g_async_mutex);
    pending.swap(g_async);
  }
  for (auto& f : pending)
    f.wait();  // failures are recorded in the arrays themselves
}

bool needs_eval(const array& a) {
  return a.status() != array::Status::available && a.has_primitive();
}

// Each traversal takes a fresh number and marks the nodes it reaches with it (Node::visit_mark),
// so visiting costs no set lookups or allocations. Starts at 1: new nodes carry 0.
std::atomic<uint64_t> g_traversal{0};

// Depth-first post-order over unevaluated nodes; each node (shared by siblings) appears once.
std::vector<array> build_tape(const std::vector<array>& outputs) {
  const uint64_t mark = g_traversal.fetch_add(1, std::memory_order_relaxed) + 1;
  auto first_visit = [mark](const array& a) {
    array::Node* n = array::Node::of(a);
    if (n->visit_mark == mark) return false;
    n->visit_mark = mark;
    return true;
  };
  std::vector<array> tape;
  struct Frame {
    array a;
    size_t next;
  };
  std::vector<Frame> stack;
  for (auto& out : outputs) {
    if (!needs_eval(out) || !first_visit(out)) continue;
    stack.push_back({out, 0});
    while (!stack.empty()) {
      size_t i = stack.back().next;
      const auto& ins = stack.back().a.inputs();
      if (i < ins.size()) {
        stack.back().next++;
        const array& in = ins[i];
        if (needs_eval(in) && first_visit(in)) {
          array copy = in;  // `ins` may move when the stack grows
          stack.push_back({std::move(copy), 0});
        }
      } else {
        tape.push_back(std::move(stack.back().a));
        stack.pop_back();
      }
    }
  }
  return tape;
}

// Runs the node of `a`. `outputs` is scratch space reused from node to node (one allocation per
// evaluation rather than per node).
void run_node(array& a, std::vector<array>& outputs) {
  // `a` holds the node, and so the primitive, until its outputs are detached below.
  array::Node* node = array::Node::of(a);
  Primitive* prim = node ? node->primitive.get() : nullptr;
  if (!prim) {
    throw std::invalid_argument(
        "[eval] Cannot evaluate an array traced by vmap inside the vmapped function.");
  }
  outputs.clear();
  if (node->outputs.empty()) {
    outputs.push_back(a);  // single output: `a` itself
  } else {
    outputs = node_outputs(a);
  }
  const std::vector<array>& inputs = node->inputs;
  std::exception_ptr err;
  for (auto& in : inputs) {
    if (in.error()) {
      err = in.error();
      break;
    }
  }
  if (!err) {
    try {
      if (prim->device() == Device::cpu) {
        for (auto& in : inputs)
          gpu::prepare_host(in);  // inputs a GPU wrote move here first
        prim->eval_cpu(inputs, outputs);
      } else {
        prim->eval_gpu(inputs, outputs);
      }
    } catch (...) {
      err = std::current_exception();
    }
  }
  for (auto& o : outputs) {
    if (err) o.set_error(err);
    // GPU kernels mark their outputs `evaluated` themselves; the host waits before reading.
    if (err || o.status() == array::Status::unscheduled) o.set_status(array::Status::available);
  }
  if (!detail::in_tracing()) {
    for (auto& o : outputs)
      o.detach();
  }
  outputs.clear();
}

void eval_impl(std::vector<array> outputs) {
  std::vector<array> tape = build_tape(outputs);
  std::vector<array> scratch;
  for (auto& a : tape) {
    array node = std::move(a);  // release the tape's reference as soon as the node has run
    run_node(node, scratch);
  }
}

}  // namespace

void eval(std::vector<array> outputs) {
  wait_for_async();
  eval_impl(outputs);
  for (auto& o : outputs) {
    if (o.error()) std::rethrow_exception(o.error());
  }
}

void async_eval(std::vector<array> outputs) {
  std::vector<array> todo;
  for (auto& o : outputs) {
    if (needs_eval(o)) todo.push_back(o);
  }
  if (todo.empty()) return;
  wait_for_async();  // keep one evaluation in flight at a time: graphs may share nodes
  for (auto& o : todo)
    o.set_status(array::Status::scheduled);
  auto fut = std::async(std::launch::async, [todo = std::move(todo)]() mutable {
    for (auto& o : todo)
      o.set_status(array::Status::unscheduled);
    eval_impl(std::move(todo));
  });
  std::lock_guard<std::mutex> lk(g_async_mutex);
  g_async.push_back(std::move(fut));
}

namespace detail {
void wait_for_async_evals() {
  wait_for_async();
}
}  // namespace detail

}  // namespace tandem
