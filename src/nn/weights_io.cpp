// Copyright © 2026 Tandem authors.
// Files of named arrays for Module::save_weights/load_weights and Optimizer::save_state/load_state,
// chosen by the path's extension: ".safetensors" (save_safetensors/load_safetensors) and ".npz"
// (savez/load_npz) use the standard formats of io.h (loaded lazily); any other name uses the Tandem
// array archive below.
//
// Tandem array archive layout (little-endian):
//   char[8]  "TANDEMA1"
//   uint64   number of arrays
//   per array: uint32 name length, name bytes (UTF-8), uint8 dtype code (Dtype::Val),
//              uint32 ndim, int64 extents[ndim], uint64 byte count, row-major element bytes
#include <bit>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "tandem/allocator.h"
#include "tandem/io.h"
#include "tandem/nn.h"
#include "tandem/transforms.h"

namespace tandem::nn {

static_assert(std::endian::native == std::endian::little,
              "The Tandem array archive reader/writer assumes a little-endian host.");

namespace {

constexpr char kMagic[8] = {'T', 'A', 'N', 'D', 'E', 'M', 'A', '1'};

[[noreturn]] void fail(const char* op, const std::string& msg) {
  throw std::invalid_argument(std::string("[") + op + "] " + msg);
}

template <typename T>
void put(std::ofstream& f, T v) {
  f.write(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
T get(std::ifstream& f, const std::string& path) {
  T v;
  f.read(reinterpret_cast<char*>(&v), sizeof(T));
  if (!f) fail("load_arrays", "The file '" + path + "' ends early or is not an array archive.");
  return v;
}

Dtype dtype_from_code(uint8_t code, const std::string& path) {
  static const Dtype table[] = {bool_, uint8, uint16,  uint32,  uint64,  int8,     int16,
                                int32, int64, float16, float32, float64, bfloat16, complex64};
  if (code >= sizeof(table) / sizeof(table[0]))
    fail("load_arrays", "Unknown dtype code " + std::to_string(code) + " in '" + path + "'.");
  return table[code];
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::unordered_map<std::string, array> to_map(
    const std::vector<std::pair<std::string, array>>& arrays) {
  std::unordered_map<std::string, array> m;
  for (auto& [k, a] : arrays) {
    if (!m.emplace(k, a).second) fail("save_arrays", "The name \"" + k + "\" appears twice.");
  }
  return m;
}

// In name order (the maps of io.h are unordered).
std::vector<std::pair<std::string, array>> to_sorted(std::unordered_map<std::string, array> m) {
  std::vector<std::pair<std::string, array>> v(m.begin(), m.end());
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.first < b.first; });
  return v;
}

}  // namespace

void save_arrays(const std::string& path,
                 const std::vector<std::pair<std::string, array>>& arrays) {
  if (ends_with(path, ".safetensors")) return save_safetensors(path, to_map(arrays));
  if (ends_with(path, ".npz")) return savez(path, to_map(arrays));
  std::vector<array> all;
  for (auto& [k, a] : arrays)
    all.push_back(a);
  eval(all);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) fail("save_arrays", "Cannot open '" + path + "' for writing.");
  f.write(kMagic, sizeof(kMagic));
  put<uint64_t>(f, arrays.size());
  std::vector<char> buf;
  for (auto& [name, a] : arrays) {
    put<uint32_t>(f, static_cast<uint32_t>(name.size()));
    f.write(name.data(), static_cast<std::streamsize>(name.size()));
    put<uint8_t>(f, static_cast<uint8_t>(a.dtype().val));
    put<uint32_t>(f, static_cast<uint32_t>(a.ndim()));
    for (auto d : a.shape())
      put<int64_t>(f, d);
    put<uint64_t>(f, a.nbytes());
    buf.resize(a.nbytes());
    if (a.nbytes() > 0) {
      array host = a;
      (void)host.data<char>();  // makes the host copy current (GPU results)
      copy_to_host_row_major(host, buf.data(), host.dtype());
    }
    f.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  }
  if (!f) fail("save_arrays", "Writing '" + path + "' failed.");
}

std::vector<std::pair<std::string, array>> load_arrays(const std::string& path) {
  if (ends_with(path, ".safetensors")) return to_sorted(load_safetensors(path).first);
  if (ends_with(path, ".npz")) return to_sorted(load_npz(path));
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("load_arrays", "Cannot open '" + path + "'.");
  char magic[8];
  f.read(magic, sizeof(magic));
  if (!f || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0)
    fail("load_arrays", "'" + path + "' is not a Tandem array archive (bad magic).");
  auto count = get<uint64_t>(f, path);
  std::vector<std::pair<std::string, array>> out;
  for (uint64_t i = 0; i < count; ++i) {
    auto len = get<uint32_t>(f, path);
    if (len > (1u << 20)) fail("load_arrays", "Implausible name length in '" + path + "'.");
    std::string name(len, '\0');
    f.read(name.data(), len);
    Dtype dtype = dtype_from_code(get<uint8_t>(f, path), path);
    auto ndim = get<uint32_t>(f, path);
    if (ndim > 64) fail("load_arrays", "Implausible ndim in '" + path + "'.");
    Shape shape;
    size_t n = 1;
    for (uint32_t d = 0; d < ndim; ++d) {
      auto e = get<int64_t>(f, path);
      if (e < 0 || e > INT32_MAX) fail("load_arrays", "Bad extent in '" + path + "'.");
      shape.push_back(static_cast<int32_t>(e));
      n *= static_cast<size_t>(e);
    }
    auto nbytes = get<uint64_t>(f, path);
    if (nbytes != n * dtype.size)
      fail("load_arrays", "Array '" + name + "' in '" + path + "' has " + std::to_string(nbytes) +
                              " bytes; its shape and dtype need " + std::to_string(n * dtype.size) +
                              ".");
    auto buffer = allocator::malloc(nbytes == 0 ? 1 : nbytes);
    f.read(static_cast<char*>(buffer.raw_ptr()), static_cast<std::streamsize>(nbytes));
    if (!f) {
      allocator::free(buffer);
      fail("load_arrays", "The file '" + path + "' ends early.");
    }
    out.emplace_back(std::move(name), array(buffer, std::move(shape), dtype));
  }
  return out;
}

}  // namespace tandem::nn
