// Copyright © 2026 Tandem authors.
#pragma once

#include <memory>

#include "primitives/primitives.h"
#include "tandem/io.h"

namespace tandem {

/// Reads an array's bytes from a file: out.nbytes() bytes at `offset` of `reader`, in C order,
/// byte-swapped per element when the file's byte order differs from the host's (complex64 swaps
/// each 4-byte half). No inputs: the lazily loaded arrays of io.h are its outputs. The reader is
/// shared by the arrays of one file and kept alive (open) by the nodes that still need it.
class Load : public Primitive {
 public:
  Load(Stream s, std::shared_ptr<io::Reader> reader, size_t offset, Shape shape, Dtype dtype,
       bool swap_endianness = false)
      : Primitive(s),
        reader_(std::move(reader)),
        offset_(offset),
        shape_(std::move(shape)),
        dtype_(dtype),
        swap_(swap_endianness) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>&) override { return {shape_}; }
  std::string name() const override { return "Load"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Load*>(&other);
    return o && o->reader_ == reader_ && o->offset_ == offset_ && o->shape_ == shape_ &&
           o->dtype_ == dtype_ && o->swap_ == swap_;
  }
  /// Reads bytes [begin, begin + n) of the array from the file into `dst` and puts them in the
  /// host's byte order (begin and n must be multiples of 8, or reach the end). Shared by both
  /// kernels: the CPU reads the whole array into its output, the GPU stages pieces through pinned
  /// host memory. Defined in backend/cpu/io.cpp.
  void read(char* dst, size_t begin, size_t n) const;
  const std::shared_ptr<io::Reader>& reader() const { return reader_; }
  size_t offset() const { return offset_; }
  bool swap_endianness() const { return swap_; }

 private:
  std::shared_ptr<io::Reader> reader_;
  size_t offset_;
  Shape shape_;
  Dtype dtype_;
  bool swap_;
};

}  // namespace tandem
