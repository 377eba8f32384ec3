// Copyright © 2026 Tandem authors.
// The base class of every operation in the graph (DESIGN §3). Subclasses live in src/primitives.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

class Primitive {
 public:
  explicit Primitive(Stream stream) : stream_(stream) {}
  virtual ~Primitive() = default;
  Primitive(const Primitive&) = delete;
  Primitive& operator=(const Primitive&) = delete;

  const Stream& stream() const { return stream_; }
  Device device() const { return stream_.device; }

  /// Compute `outputs` from `inputs`. Outputs arrive without data; the kernel allocates it
  /// (or makes a view of an input's buffer).
  virtual void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) = 0;
  virtual void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) = 0;

  /// Vector-Jacobian product: cotangents of the outputs -> cotangents of inputs[argnums].
  virtual std::vector<array> vjp(const std::vector<array>& primals,
                                 const std::vector<array>& cotangents,
                                 const std::vector<int>& argnums,
                                 const std::vector<array>& outputs);
  /// Jacobian-vector product: tangents of inputs[argnums] -> tangents of the outputs.
  virtual std::vector<array> jvp(const std::vector<array>& primals,
                                 const std::vector<array>& tangents,
                                 const std::vector<int>& argnums);
  /// Batched application: inputs with batch axes `axes` (-1: not batched) -> outputs and their
  /// batch axes.
  virtual std::pair<std::vector<array>, std::vector<int>> vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes);

  /// Output shapes given input shapes (used by compile to re-trace with new shapes).
  virtual std::vector<Shape> output_shapes(const std::vector<array>& inputs);

  /// The primitive's name, e.g. "Add" or "Reduce(Sum)".
  virtual std::string name() const = 0;
  virtual void print(std::ostream& os) const { os << name(); }
  /// Same kind of primitive with the same parameters (for common-subexpression elimination).
  virtual bool is_equivalent(const Primitive& /*other*/) const { return false; }

 private:
  Stream stream_;
};

}  // namespace tandem
