// Copyright © 2026 Tandem authors.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "tandem/allocator.h"
#include "tandem/dtype.h"
#include "tandem/stream.h"

namespace tandem {

using Shape = std::vector<int32_t>;
using Strides = std::vector<int64_t>;

class Primitive;
class array;

namespace detail {
/// The C++ element types an array can be made from.
template <typename T>
inline constexpr bool is_element_type_v =
    std::is_arithmetic_v<T> || std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t> ||
    std::is_same_v<T, complex64_t>;
/// The default dtype of a C++ element type in array constructors. As in MLX, `double` values make
/// float32 arrays unless float64 is asked for (so `x * 2.0` keeps float32 `x` in float32).
template <typename T>
constexpr Dtype default_dtype() {
  if constexpr (std::is_same_v<T, double>) {
    return float32;
  } else {
    return dtype_of<T>();
  }
}
/// Write `n` values of type T into `dst`, converting to dtype `d`.
template <typename T>
void convert_into(void* dst, Dtype d, const T* src, size_t n);
}  // namespace detail

/// A lazily computed n-dimensional array. Cheap to copy: copies share one node.
class array {
 public:
  /// A 0-d array holding `val`.
  template <typename T>
  requires detail::is_element_type_v<T>
  explicit array(T val, Dtype dtype = detail::default_dtype<T>());

  /// A 1-d array of the listed values.
  template <typename T>
  array(std::initializer_list<T> data, Dtype dtype = detail::default_dtype<T>());
  /// The listed values, reshaped to `shape` (its size must match).
  template <typename T>
  array(std::initializer_list<T> data, Shape shape, Dtype dtype = detail::default_dtype<T>());
  /// Copies values from an iterator range starting at `data`, `prod(shape)` elements.
  template <typename It>
  array(It data, Shape shape,
        Dtype dtype = detail::default_dtype<typename std::iterator_traits<It>::value_type>());
  /// Copies from a vector; its size must match the shape's.
  template <typename T>
  array(const std::vector<T>& data, Shape shape, Dtype dtype = detail::default_dtype<T>());

  /// Wraps memory: takes ownership of `buffer`, freed by `deleter`.
  array(allocator::Buffer buffer, Shape shape, Dtype dtype,
        std::function<void(allocator::Buffer)> deleter = allocator::free);

  /// A lazy output of `primitive` applied to `inputs` (used by ops).
  array(Shape shape, Dtype dtype, std::shared_ptr<Primitive> primitive, std::vector<array> inputs);

  /// Several lazy outputs of one primitive.
  static std::vector<array> make_arrays(std::vector<Shape> shapes, const std::vector<Dtype>& dtypes,
                                        const std::shared_ptr<Primitive>& primitive,
                                        const std::vector<array>& inputs);

  array(const array&) = default;
  array(array&&) = default;
  array& operator=(const array&) &;
  array& operator=(array&&) &;

  // ---- metadata (always available, no evaluation) ----
  Dtype dtype() const { return desc_->dtype; }
  const Shape& shape() const { return desc_->shape; }
  /// Size of dimension `dim` (negative counts from the end).
  int shape(int dim) const;
  int ndim() const { return static_cast<int>(desc_->shape.size()); }
  size_t size() const { return desc_->size; }
  size_t itemsize() const { return desc_->dtype.size; }
  size_t nbytes() const { return size() * itemsize(); }
  /// Strides in elements. Meaningful once the array is evaluated.
  const Strides& strides() const { return desc_->strides; }
  int64_t strides(int dim) const;
  /// A unique id for the node (the address of its descriptor).
  std::uintptr_t id() const { return reinterpret_cast<std::uintptr_t>(desc_.get()); }

  // ---- values (evaluate when needed) ----
  /// Compute this array now (and everything it depends on).
  void eval();
  /// The single value of a size-1 array, converted to T. Evaluates.
  template <typename T>
  T item();
  /// A pointer to the elements (strided: see strides()). Evaluates.
  template <typename T>
  T* data() {
    ensure_host_readable();
    return static_cast<T*>(raw_data());
  }
  template <typename T>
  const T* data() const {
    const_cast<array*>(this)->ensure_host_readable();
    return static_cast<const T*>(raw_data());
  }
  /// Copies the elements in row-major order into a vector of T (converting). Evaluates.
  template <typename T>
  std::vector<T> to_vector();

  // ---- graph state ----
  enum class Status : uint8_t {
    unscheduled,  // not computed, not queued
    scheduled,    // queued by async_eval
    evaluated,    // kernel queued on its stream (GPU); host must synchronise before reading
    available     // values can be read
  };
  Status status() const { return desc_->status.load(std::memory_order_acquire); }
  bool is_available() const { return status() == Status::available; }
  bool is_evaluated() const { return status() >= Status::evaluated; }
  /// Whether this array is the output of a primitive that has not been computed yet.
  bool has_primitive() const { return desc_->node != nullptr; }
  Primitive& primitive() const;
  std::shared_ptr<Primitive> primitive_ptr() const;
  const std::vector<array>& inputs() const;
  std::vector<array>& inputs();
  /// The other outputs of this array's primitive (empty for single-output primitives).
  std::vector<array> siblings() const;
  /// All outputs of this array's primitive, this one included, in order.
  std::vector<array> outputs() const;
  /// Drop the primitive and the inputs (done after evaluation so graphs do not pin memory).
  void detach();

  // ---- low-level access used by kernels (no evaluation, no checks) ----
  struct Flags {
    bool contiguous : 1;      // the elements fill a dense block (any order of dims)
    bool row_contiguous : 1;  // C order
    bool col_contiguous : 1;  // Fortran order
  };
  const Flags& flags() const { return desc_->flags; }
  /// Number of elements of the underlying buffer this view spans (== size() when contiguous).
  size_t data_size() const { return desc_->data_size; }
  template <typename T>
  T* unsafe_data() const {
    return static_cast<T*>(raw_data());
  }
  /// Host address of the first element (the buffer's host copy plus this view's byte offset).
  /// Kernels on the CPU use this; the scheduler has made the host copy current beforehand.
  void* raw_data() const {
    return desc_->data ? static_cast<char*>(desc_->data->buffer.raw_ptr()) + desc_->offset
                       : nullptr;
  }
  /// Byte offset of the first element within the buffer.
  int64_t offset() const { return desc_->offset; }
  allocator::Buffer& buffer() { return desc_->data->buffer; }
  const allocator::Buffer& buffer() const { return desc_->data->buffer; }
  size_t buffer_size() const;
  /// Give this array a fresh buffer of nbytes() bytes, row-contiguous.
  void set_data(allocator::Buffer buffer,
                std::function<void(allocator::Buffer)> deleter = allocator::free);
  /// Give this array a buffer with explicit layout.
  void set_data(allocator::Buffer buffer, size_t data_size, Strides strides, Flags flags,
                std::function<void(allocator::Buffer)> deleter = allocator::free);
  /// Make this array a view of `other`'s buffer with its own strides and element offset.
  void copy_shared_buffer(const array& other, const Strides& strides, Flags flags, size_t data_size,
                          int64_t offset = 0);
  void copy_shared_buffer(const array& other);
  /// Whether another array shares this one's buffer (donation is then unsafe).
  bool is_donatable() const;
  void set_status(Status s) const { desc_->status.store(s, std::memory_order_release); }
  /// Record a failure of this array's computation; reading it rethrows.
  void set_error(std::exception_ptr e) const { desc_->error = e; }
  std::exception_ptr error() const { return desc_->error; }
  /// Number of arrays handles sharing this node.
  long use_count() const { return desc_.use_count(); }
  /// Index of this array among its primitive's outputs.
  uint32_t output_index() const { return desc_->position; }

  /// The node shared by the outputs of one primitive application.
  struct Node;

 private:
  void ensure_host_readable();
  void init_from(const void* src, Dtype src_type, size_t n);

  struct Data {
    allocator::Buffer buffer;
    std::function<void(allocator::Buffer)> deleter;
    Data(allocator::Buffer b, std::function<void(allocator::Buffer)> d)
        : buffer(b), deleter(std::move(d)) {}
    Data(const Data&) = delete;
    Data& operator=(const Data&) = delete;
    ~Data() {
      if (deleter) deleter(buffer);
    }
  };

  struct ArrayDesc {
    Shape shape;
    Strides strides;
    size_t size{1};
    Dtype dtype;
    Flags flags{true, true, true};
    std::shared_ptr<Data> data;
    int64_t offset{0};  // bytes from the start of the buffer
    size_t data_size{0};
    std::shared_ptr<Node> node;
    std::atomic<Status> status{Status::unscheduled};
    std::exception_ptr error;
    uint32_t position{0};

    ArrayDesc(Shape shape, Dtype dtype);
    ~ArrayDesc();
  };

  explicit array(std::shared_ptr<ArrayDesc> desc) : desc_(std::move(desc)) {}
  std::shared_ptr<ArrayDesc> desc_;

  friend struct Node;
  friend std::vector<array> node_outputs(const array& a);
};

/// Row-major strides of a shape, in elements.
Strides row_major_strides(const Shape& shape);
/// Product of a shape's extents.
size_t shape_size(const Shape& shape);

// ---------------- template definitions ----------------

template <typename T>
requires detail::is_element_type_v<T> array::array(T val, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(Shape{}, dtype)) {
  static_assert(!std::is_pointer_v<T>, "tandem::array: pointer given as a scalar");
  init_from(&val, dtype_of<T>(), 1);
}

template <typename T>
array::array(std::initializer_list<T> data, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(Shape{static_cast<int32_t>(data.size())}, dtype)) {
  init_from(data.begin(), dtype_of<T>(), data.size());
}

template <typename T>
array::array(std::initializer_list<T> data, Shape shape, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  if (data.size() != desc_->size) {
    throw std::invalid_argument("[array] Data size " + std::to_string(data.size()) +
                                " does not match the size of the shape (" +
                                std::to_string(desc_->size) + ").");
  }
  init_from(data.begin(), dtype_of<T>(), data.size());
}

template <typename It>
array::array(It data, Shape shape, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  using T = typename std::iterator_traits<It>::value_type;
  // A plain buffer, not std::vector<T>: vector<bool> has no contiguous data().
  const size_t n = desc_->size;
  std::unique_ptr<T[]> tmp(new T[n == 0 ? 1 : n]);
  std::copy_n(data, n, tmp.get());
  init_from(tmp.get(), dtype_of<T>(), n);
}

template <typename T>
array::array(const std::vector<T>& data, Shape shape, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  if (data.size() != desc_->size) {
    throw std::invalid_argument("[array] Vector size " + std::to_string(data.size()) +
                                " does not match the size of the shape (" +
                                std::to_string(desc_->size) + ").");
  }
  if constexpr (std::is_same_v<T, bool>) {
    std::unique_ptr<bool[]> tmp(new bool[data.empty() ? 1 : data.size()]);
    std::copy(data.begin(), data.end(), tmp.get());
    init_from(tmp.get(), bool_, data.size());
  } else {
    init_from(data.data(), dtype_of<T>(), data.size());
  }
}

/// Copies the elements of an evaluated array into `dst` in row-major order, converting to dst_type.
void copy_to_host_row_major(const array& a, void* dst, Dtype dst_type);

template <typename T>
std::vector<T> array::to_vector() {
  ensure_host_readable();
  std::unique_ptr<T[]> tmp(new T[size() == 0 ? 1 : size()]);
  copy_to_host_row_major(*this, tmp.get(), dtype_of<T>());
  return std::vector<T>(tmp.get(), tmp.get() + size());
}

template <typename T>
T array::item() {
  if (size() != 1) {
    throw std::invalid_argument("[item] Only size-1 arrays can be converted to a scalar; got " +
                                std::to_string(size()) + " elements.");
  }
  return to_vector<T>()[0];
}

}  // namespace tandem
