// Copyright © 2026 Tandem authors.
#include "tandem/array.h"

#include <sstream>

#include "core/backend_hooks.h"
#include "core/node.h"
#include "core/pool.h"
#include "tandem/transforms.h"
#include "tandem/utils.h"

namespace tandem {

// Defined by the CPU backend (backend/cpu/copy.cpp).
void convert_values(const void* src, Dtype src_type, void* dst, Dtype dst_type, size_t n);

size_t shape_size(const Shape& shape) {
  size_t n = 1;
  for (auto d : shape)
    n *= static_cast<size_t>(d);
  return n;
}

Strides row_major_strides(const Shape& shape) {
  Strides st(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) {
    st[i] = st[i + 1] * std::max<int64_t>(shape[i + 1], 1);
  }
  return st;
}

array::ArrayDesc::ArrayDesc(Shape shape_, Dtype dtype_) : shape(std::move(shape_)), dtype(dtype_) {
  for (auto d : shape) {
    if (d < 0) {
      throw std::invalid_argument("[array] Negative dimension in shape " + shape_to_string(shape) +
                                  ".");
    }
  }
  size = shape_size(shape);
  strides = row_major_strides(shape);
}

// Release a long chain of unevaluated nodes without recursing once per node (a graph of a million
// nodes must not overflow the stack).
array::ArrayDesc::~ArrayDesc() {
  if (!node) return;
  std::vector<std::shared_ptr<Node>> pending;
  pending.push_back(std::move(node));
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    if (n.use_count() != 1) continue;  // a sibling output still holds it
    std::vector<array> ins = std::move(n->inputs);
    n.reset();
    // Release inputs one at a time so an input listed twice is taken once its count drops to 1.
    for (auto& in : ins) {
      std::shared_ptr<ArrayDesc> d = std::move(in.desc_);
      if (d && d.use_count() == 1 && d->node) pending.push_back(std::move(d->node));
    }
  }
}

array& array::operator=(const array& other) & {
  desc_ = other.desc_;
  return *this;
}
array& array::operator=(array&& other) & {
  desc_ = std::move(other.desc_);
  return *this;
}

void array::init_from(const void* src, Dtype src_type, size_t n) {
  auto buf = allocator::malloc(nbytes());
  set_data(buf);
  convert_values(src, src_type, raw_data(), desc_->dtype, n);
  set_status(Status::available);
}

array::array(allocator::Buffer buffer, Shape shape, Dtype dtype,
             std::function<void(allocator::Buffer)> deleter)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  set_data(buffer, std::move(deleter));
  set_status(Status::available);
}

array::array(Shape shape, Dtype dtype, std::shared_ptr<Primitive> primitive,
             std::vector<array> inputs)
    : desc_(std::allocate_shared<ArrayDesc>(detail::PoolAllocator<ArrayDesc>{}, std::move(shape),
                                            dtype)) {
  auto node = std::allocate_shared<Node>(detail::PoolAllocator<Node>{});
  node->primitive = std::move(primitive);
  node->inputs = std::move(inputs);
  // A single output needs no record in the node (see Node::outputs).
  desc_->node = std::move(node);
}

std::vector<array> array::make_arrays(std::vector<Shape> shapes, const std::vector<Dtype>& dtypes,
                                      const std::shared_ptr<Primitive>& primitive,
                                      const std::vector<array>& inputs) {
  auto node = std::allocate_shared<Node>(detail::PoolAllocator<Node>{});
  node->primitive = primitive;
  node->inputs = inputs;
  node->outputs.reserve(shapes.size());
  std::vector<array> outs;
  outs.reserve(shapes.size());
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto d =
        std::allocate_shared<ArrayDesc>(detail::PoolAllocator<ArrayDesc>{}, shapes[i], dtypes[i]);
    d->position = static_cast<uint32_t>(i);
    d->node = node;
    node->outputs.push_back({d, std::move(shapes[i]), dtypes[i]});
    outs.push_back(array(std::move(d)));
  }
  return outs;
}

int array::shape(int dim) const {
  int nd = ndim();
  int d = dim < 0 ? dim + nd : dim;
  if (d < 0 || d >= nd) {
    throw std::invalid_argument("[array::shape] Axis " + std::to_string(dim) +
                                " is out of bounds for array with " + std::to_string(nd) +
                                " dimensions.");
  }
  return desc_->shape[d];
}

int64_t array::strides(int dim) const {
  int nd = ndim();
  int d = dim < 0 ? dim + nd : dim;
  if (d < 0 || d >= nd) {
    throw std::invalid_argument("[array::strides] Axis " + std::to_string(dim) +
                                " is out of bounds for array with " + std::to_string(nd) +
                                " dimensions.");
  }
  return desc_->strides[d];
}

void array::eval() {
  if (status() != Status::available || has_primitive()) {
    tandem::eval({*this});
  } else if (desc_->error) {
    std::rethrow_exception(desc_->error);
  }
}

void array::ensure_host_readable() {
  if (status() == Status::unscheduled || status() == Status::scheduled || has_primitive()) {
    tandem::eval({*this});
  }
  if (desc_->error) std::rethrow_exception(desc_->error);
  gpu::prepare_host(*this);
}

Primitive& array::primitive() const {
  if (!desc_->node) throw std::logic_error("[array::primitive] Array has no primitive.");
  return *desc_->node->primitive;
}
std::shared_ptr<Primitive> array::primitive_ptr() const {
  return desc_->node ? desc_->node->primitive : nullptr;
}

const std::vector<array>& array::inputs() const {
  static const std::vector<array> empty;
  return desc_->node ? desc_->node->inputs : empty;
}
std::vector<array>& array::inputs() {
  static thread_local std::vector<array> empty;
  if (!desc_->node) {
    empty.clear();
    return empty;
  }
  return desc_->node->inputs;
}

std::vector<array> node_outputs(const array& a) {
  std::vector<array> outs;
  auto& node = a.desc_->node;
  if (!node || node->outputs.empty()) return {a};
  for (size_t i = 0; i < node->outputs.size(); ++i) {
    if (auto d = node->outputs[i].desc.lock()) {
      outs.push_back(array(std::move(d)));
    } else {
      // The user dropped this sibling: give the kernel somewhere to write.
      auto t = std::make_shared<array::ArrayDesc>(node->outputs[i].shape, node->outputs[i].dtype);
      t->position = static_cast<uint32_t>(i);
      t->node = node;
      node->outputs[i].desc = t;
      outs.push_back(array(std::move(t)));
    }
  }
  return outs;
}

std::vector<array> array::outputs() const {
  return node_outputs(*this);
}

std::vector<array> array::siblings() const {
  if (!desc_->node || desc_->node->num_outputs() == 1) return {};
  std::vector<array> out;
  for (auto& o : node_outputs(*this)) {
    if (o.id() != id()) out.push_back(o);
  }
  return out;
}

void array::detach() {
  desc_->node.reset();
}

size_t array::buffer_size() const {
  return desc_->data ? allocator::allocator().size(desc_->data->buffer) : 0;
}

void array::set_data(allocator::Buffer buffer, std::function<void(allocator::Buffer)> deleter) {
  desc_->data =
      std::allocate_shared<Data>(detail::PoolAllocator<Data>{}, buffer, std::move(deleter));
  desc_->offset = 0;
  desc_->data_size = size();
  // Row-major strides written in place: the descriptor's vector already has ndim() entries.
  const auto& shape = desc_->shape;
  auto& st = desc_->strides;
  st.resize(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    st[i] = stride;
    stride *= std::max<int64_t>(shape[i], 1);
  }
  bool c = true;
  bool col = ndim() <= 1 || size() <= 1;
  desc_->flags = Flags{c, c, col};
  if (!col) {
    // A row-major array is also column-major only when at most one extent exceeds 1.
    int big = 0;
    for (auto d : desc_->shape)
      big += d > 1;
    desc_->flags.col_contiguous = big <= 1;
  }
}

void array::set_data(allocator::Buffer buffer, size_t data_size, Strides strides, Flags flags,
                     std::function<void(allocator::Buffer)> deleter) {
  desc_->data =
      std::allocate_shared<Data>(detail::PoolAllocator<Data>{}, buffer, std::move(deleter));
  desc_->offset = 0;
  desc_->data_size = data_size;
  desc_->strides = std::move(strides);
  desc_->flags = flags;
}

void array::copy_shared_buffer(const array& other, const Strides& strides, Flags flags,
                               size_t data_size, int64_t offset) {
  desc_->data = other.desc_->data;
  desc_->strides = strides;
  desc_->flags = flags;
  desc_->data_size = data_size;
  desc_->offset = other.desc_->offset + offset * static_cast<int64_t>(itemsize());
}

void array::copy_shared_buffer(const array& other) {
  copy_shared_buffer(other, other.strides(), other.flags(), other.data_size());
}

bool array::is_donatable() const {
  return desc_.use_count() == 1 && desc_->data && desc_->data.use_count() == 1;
}

}  // namespace tandem
