// Copyright © 2026 Tandem authors.
// Reads (Fashion-)MNIST IDX files, gzip-compressed or not.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace idx {

struct Tensor {
  std::vector<int> dims;
  std::vector<uint8_t> data;
};

inline Tensor read(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("[idx] Cannot open " + path);
  auto read_exact = [&](void* dst, size_t n) {
    size_t got = 0;
    while (got < n) {
      int r = gzread(f, static_cast<char*>(dst) + got, static_cast<unsigned>(n - got));
      if (r <= 0) {
        gzclose(f);
        throw std::runtime_error("[idx] " + path + " is truncated or corrupt.");
      }
      got += r;
    }
  };
  uint8_t magic[4];
  read_exact(magic, 4);
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] == 0 || magic[3] > 4) {
    gzclose(f);
    throw std::runtime_error("[idx] " + path + " is not an unsigned-byte IDX file.");
  }
  Tensor t;
  size_t total = 1;
  for (int i = 0; i < magic[3]; ++i) {
    uint8_t b[4];
    read_exact(b, 4);
    int d = (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    t.dims.push_back(d);
    total *= d;
  }
  t.data.resize(total);
  read_exact(t.data.data(), total);
  gzclose(f);
  return t;
}

}  // namespace idx
