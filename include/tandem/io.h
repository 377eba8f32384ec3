// Copyright © 2026 Tandem authors.
// Arrays on disk (MLX's mlx/io.h): NumPy .npy and .npz, safetensors (single files and sharded
// checkpoints).
//
// Loading is lazy: a loaded array is a graph node whose `Load` primitive reads only that array's
// bytes from the file when the array is evaluated (on the CPU; GPU consumers get the result through
// the one memory space). Loading a checkpoint therefore reads only its headers, and a model larger
// than free memory can be evaluated (and, e.g., converted or moved) tensor by tensor. The file is
// kept open by the arrays that still need it and closed when the last one is evaluated or dropped.
// Modifying a file between load and evaluation changes what is read; deleting it does not (the
// open file stays readable on POSIX systems).
//
// Errors: a missing, corrupt or truncated file throws std::runtime_error whose message starts with
// the function's name ("[load_safetensors] ..."); checks that need the data itself (a ZIP member's
// CRC, a deflate stream that ends early, a file shortened after it was loaded) throw when the array
// is evaluated. Bad arguments (an unknown dtype, an empty name) throw std::invalid_argument.
#pragma once

#include <cstdint>
#include <ios>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

namespace io {

/// A source of bytes (MLX's io::Reader). `read(data, n, offset)` must be safe to call from several
/// threads at once: lazily loaded arrays call it when they are evaluated.
class Reader {
 public:
  virtual bool is_open() const = 0;
  virtual bool good() const = 0;
  virtual size_t tell() = 0;
  virtual void seek(int64_t off, std::ios_base::seekdir way = std::ios_base::beg) = 0;
  /// Reads n bytes at the current position and advances it; throws if fewer are available.
  virtual void read(char* data, size_t n) = 0;
  /// Reads n bytes at `offset` (from the start) without moving the position; throws if fewer
  /// are available.
  virtual void read(char* data, size_t n, size_t offset) = 0;
  /// "file <path>", used in error messages.
  virtual std::string label() const = 0;
  virtual ~Reader() = default;
};

/// A sink of bytes (MLX's io::Writer).
class Writer {
 public:
  virtual bool is_open() const = 0;
  virtual bool good() const = 0;
  virtual size_t tell() = 0;
  virtual void seek(int64_t off, std::ios_base::seekdir way = std::ios_base::beg) = 0;
  virtual void write(const char* data, size_t n) = 0;
  virtual std::string label() const = 0;
  virtual ~Writer() = default;
};

/// A file opened for reading; positional reads use pread and are thread-safe.
class FileReader : public Reader {
 public:
  explicit FileReader(std::string path);
  ~FileReader() override;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  bool is_open() const override { return fd_ >= 0; }
  bool good() const override { return fd_ >= 0; }
  size_t tell() override { return pos_; }
  void seek(int64_t off, std::ios_base::seekdir way = std::ios_base::beg) override;
  void read(char* data, size_t n) override;
  void read(char* data, size_t n, size_t offset) override;
  std::string label() const override { return "file " + path_; }
  /// The file's size in bytes now.
  size_t size() const;
  /// Why opening failed (strerror), or "".
  const std::string& error() const { return error_; }

 private:
  int fd_{-1};
  size_t pos_{0};
  std::string path_;
  std::string error_;
};

/// A file created (or truncated) for writing.
class FileWriter : public Writer {
 public:
  explicit FileWriter(std::string path);
  ~FileWriter() override;
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;
  bool is_open() const override { return fd_ >= 0; }
  bool good() const override { return fd_ >= 0; }
  size_t tell() override;
  void seek(int64_t off, std::ios_base::seekdir way = std::ios_base::beg) override;
  void write(const char* data, size_t n) override;
  std::string label() const override { return "file " + path_; }
  /// Why opening failed (strerror), or "".
  const std::string& error() const { return error_; }

 private:
  int fd_{-1};
  std::string path_;
  std::string error_;
};

}  // namespace io

using SafetensorsLoad =
    std::pair<std::unordered_map<std::string, array>, std::unordered_map<std::string, std::string>>;

// ------------------------------- .npy -------------------------------

/// Writes `a` in NumPy's .npy format (version 1.0, or 2.0 for a header over 64 KiB), C order,
/// little-endian, with the same header bytes as numpy.save. bfloat16, which has no NumPy type,
/// is written as '<V2' (2-byte void) as MLX does, and read back as bfloat16.
void save(std::shared_ptr<io::Writer> out_stream, array a);
/// As above, to `file`; ".npy" is appended when the name does not end with it (as MLX does).
void save(std::string file, array a);

/// Reads a .npy array (versions 1-3; any byte order; C or Fortran order) lazily. Loads run on the
/// CPU unless `s` names another stream. Every Tandem dtype is accepted: b1, u1-u8, i1-i8, f2,
/// f4, f8, c8 and V2 (bfloat16). A .npz or .safetensors path is refused with a pointer to
/// load_npz / load_safetensors.
array load(std::shared_ptr<io::Reader> in_stream, StreamOrDevice s = {});
array load(std::string file, StreamOrDevice s = {});

// ------------------------------- .npz -------------------------------
// Beyond MLX's C++ API (mlx.core.savez / savez_compressed / load in Python).

/// Writes a ZIP archive of .npy members "<name>.npy" (numpy.savez), stored uncompressed, with
/// ZIP64 records where sizes or offsets need them. Members are written in name order, each
/// array evaluated in turn; ".npz" is appended to `file` when missing. The writer must be seekable
/// (each member's local header is completed after its data).
void savez(std::shared_ptr<io::Writer> out_stream,
           const std::unordered_map<std::string, array>& arrays);
void savez(std::string file, const std::unordered_map<std::string, array>& arrays);
/// Positional arrays are named "arr_0", "arr_1", ... (as numpy.savez names them).
void savez(std::string file, const std::vector<array>& arrays);
/// As savez, with every member deflate-compressed (numpy.savez_compressed).
void savez_compressed(std::shared_ptr<io::Writer> out_stream,
                      const std::unordered_map<std::string, array>& arrays);
void savez_compressed(std::string file, const std::unordered_map<std::string, array>& arrays);
void savez_compressed(std::string file, const std::vector<array>& arrays);

/// Reads every ".npy" member of a .npz archive (stored or deflated, ZIP64 or not) lazily; the
/// names lose their ".npy" suffix. Members that are not .npy files are ignored. Each member's
/// CRC-32 is checked when its array is evaluated.
std::unordered_map<std::string, array> load_npz(const std::string& file, StreamOrDevice s = {});

// --------------------------- safetensors ---------------------------

/// Reads a .safetensors file lazily: the arrays and the "__metadata__" strings. Dtypes (MLX's
/// names): BOOL, U8, U16, U32, U64, I8, I16, I32, I64, F16, BF16, F32, F64, C64.
SafetensorsLoad load_safetensors(std::shared_ptr<io::Reader> in_stream, StreamOrDevice s = {});
SafetensorsLoad load_safetensors(const std::string& file, StreamOrDevice s = {});

/// Writes a .safetensors file. Tensors are laid out by decreasing item size, then by name, so each
/// one is aligned to its item size; the JSON header is padded with spaces to a multiple of 8
/// bytes (as the reference implementation does). Empty arrays are allowed. ".safetensors" is
/// appended to `file` when missing (as MLX does).
void save_safetensors(std::shared_ptr<io::Writer> out_stream,
                      std::unordered_map<std::string, array> arrays,
                      std::unordered_map<std::string, std::string> metadata = {});
void save_safetensors(std::string file, std::unordered_map<std::string, array> arrays,
                      std::unordered_map<std::string, std::string> metadata = {});

/// Loads several safetensors files as one set of tensors (a sharded checkpoint), lazily, so a model
/// larger than memory can be evaluated shard by shard or tensor by tensor. A name found in two
/// files is an error; the metadata maps are merged.
SafetensorsLoad load_safetensors_shards(const std::vector<std::string>& files,
                                        StreamOrDevice s = {});
/// Loads a Hugging Face style sharded checkpoint from its index file
/// ("model.safetensors.index.json": {"metadata": {...}, "weight_map": {tensor: shard file}}).
/// Shard paths are relative to the index's directory. Every tensor of the weight map must be found
/// in the shard it names; the result holds exactly the tensors of the weight map. The index's
/// "metadata" entries are merged into the metadata (numbers as their JSON text).
SafetensorsLoad load_safetensors_index(const std::string& index_file, StreamOrDevice s = {});

}  // namespace tandem
