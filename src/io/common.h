// Copyright © 2026 Tandem authors.
// Helpers shared by the file formats. Internal.
#pragma once

#include <bit>
#include <memory>
#include <stdexcept>
#include <string>

#include "primitives/io.h"
#include "tandem/io.h"
#include "tandem/ops.h"

namespace tandem::io::detail {

inline constexpr bool kLittleEndianHost = std::endian::native == std::endian::little;

/// Loads run on the CPU's default stream unless a stream or device is given (as in MLX).
inline Stream load_stream(StreamOrDevice s) {
  if (std::holds_alternative<std::monostate>(s)) return default_stream(Device::cpu);
  return to_stream(s);
}

/// A lazily loaded array: `shape`/`dtype` from `reader` at `offset`.
inline array lazy_load(const std::shared_ptr<Reader>& reader, size_t offset, const Shape& shape,
                       Dtype dtype, bool swap, Stream s) {
  return array(shape, dtype, std::make_shared<Load>(s, reader, offset, shape, dtype, swap), {});
}

/// The reader's size in bytes (its position is kept).
inline uint64_t reader_size(Reader& r) {
  size_t pos = r.tell();
  r.seek(0, std::ios_base::end);
  size_t n = r.tell();
  r.seek(static_cast<int64_t>(pos), std::ios_base::beg);
  return n;
}

/// "(2, 3)" (Tandem's shape notation in messages).
inline std::string shape_str(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + ")";
}

/// Number of elements of a shape read from a file, with overflow checks: each extent must fit in
/// int32 and the byte count in int64. Returns the byte count for `itemsize`.
inline uint64_t checked_nbytes(const std::vector<uint64_t>& dims, size_t itemsize,
                               const std::string& op, const std::string& what) {
  uint64_t n = 1;
  bool overflow = false;
  for (auto d : dims) {
    if (d > static_cast<uint64_t>(INT32_MAX)) {
      throw std::runtime_error(op + " " + what + " has extent " + std::to_string(d) +
                               ", more than Tandem's limit of 2^31-1 per dimension.");
    }
    if (d != 0 && n > (uint64_t{1} << 62) / d) overflow = true;
    n *= d;
  }
  // Any zero extent makes the array empty even when the others overflow.
  for (auto d : dims)
    if (d == 0) return 0;
  if (overflow || n > (uint64_t{1} << 62) / itemsize)
    throw std::runtime_error(op + " " + what + " is too large.");
  return n * itemsize;
}

}  // namespace tandem::io::detail
