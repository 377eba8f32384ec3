// Copyright © 2026 Tandem authors.
// The IDX reader. zlib's gz* functions read gzip and plain files alike.
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "tandem/allocator.h"
#include "tandem/data.h"

namespace tandem::data {

namespace {

struct GzFile {
  gzFile f{nullptr};
  ~GzFile() {
    if (f) gzclose(f);
  }
};

}  // namespace

array load_idx(const std::string& path) {
  const std::string op = "[load_idx] ";
  GzFile gz;
  errno = 0;
  gz.f = gzopen(path.c_str(), "rb");
  if (!gz.f) {
    throw std::runtime_error(op + "Failed to open file " + path + ": " +
                             (errno ? std::strerror(errno) : "out of memory") + ".");
  }
  gzbuffer(gz.f, 1 << 17);
  auto read = [&](void* dst, size_t n, const char* what) {
    size_t got = 0;
    while (got < n) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - got, 1u << 30));
      int r = gzread(gz.f, static_cast<char*>(dst) + got, chunk);
      if (r < 0) {
        int code = 0;
        const char* msg = gzerror(gz.f, &code);
        throw std::runtime_error(op + path + " is corrupt (" + what + "): " + msg + ".");
      }
      if (r == 0) {
        throw std::runtime_error(op + path + " is truncated: it ends inside the " + what + " (" +
                                 std::to_string(got) + " of " + std::to_string(n) + " bytes).");
      }
      got += static_cast<size_t>(r);
    }
  };
  unsigned char magic[4];
  read(magic, 4, "header");
  if (magic[0] != 0 || magic[1] != 0)
    throw std::runtime_error(op + path + " is not an IDX file (bad magic).");
  Dtype dtype = uint8;
  switch (magic[2]) {
    case 0x08:
      dtype = uint8;
      break;
    case 0x09:
      dtype = int8;
      break;
    case 0x0B:
      dtype = int16;
      break;
    case 0x0C:
      dtype = int32;
      break;
    case 0x0D:
      dtype = float32;
      break;
    case 0x0E:
      dtype = float64;
      break;
    default:
      throw std::runtime_error(op + path + " has unknown IDX type code " +
                               std::to_string(magic[2]) + ".");
  }
  int ndim = magic[3];
  if (ndim > 32)
    throw std::runtime_error(op + path + " has " + std::to_string(ndim) + " dimensions (max 32).");
  Shape shape;
  uint64_t n = 1;
  for (int i = 0; i < ndim; ++i) {
    unsigned char b[4];
    read(b, 4, "header");
    uint32_t d = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    if (d > static_cast<uint32_t>(INT32_MAX))
      throw std::runtime_error(op + path + " has an extent of " + std::to_string(d) + ".");
    shape.push_back(static_cast<int32_t>(d));
    n *= d;
    if (n > (uint64_t{1} << 40)) throw std::runtime_error(op + path + " is implausibly large.");
  }
  size_t nbytes = static_cast<size_t>(n) * dtype.size;
  auto buffer = allocator::malloc(nbytes == 0 ? 1 : nbytes);
  array out(buffer, shape, dtype);  // owns the buffer from here on
  char* p = static_cast<char*>(buffer.raw_ptr());
  read(p, nbytes, "data");
  char extra;
  int r = gzread(gz.f, &extra, 1);
  if (r > 0) {
    throw std::runtime_error(op + path + " has bytes after the " + std::to_string(nbytes) +
                             " bytes of data its header describes.");
  }
  // A gzip stream must also end properly (its trailer holds the CRC-32 and the length).
  int code = Z_OK;
  const char* msg = gzerror(gz.f, &code);
  if (r < 0 || code != Z_OK)
    throw std::runtime_error(op + path + " is truncated or corrupt: " + msg + ".");
  if (std::endian::native == std::endian::little && dtype.size > 1) {
    for (size_t i = 0; i < nbytes; i += dtype.size)
      std::reverse(p + i, p + i + dtype.size);
  }
  return out;
}

}  // namespace tandem::data
