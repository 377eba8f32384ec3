// Copyright © 2026 Tandem authors.
// ZIP archives for .npz files (PKWARE APPNOTE 6.3): reading the central directory (ZIP64 included),
// readers over one member's bytes (stored or deflated), and a streaming writer. Internal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tandem/io.h"

namespace tandem::io::zip {

inline constexpr uint16_t kStored = 0;
inline constexpr uint16_t kDeflated = 8;

struct Entry {
  std::string name;
  uint16_t method{0};
  uint16_t flags{0};
  uint32_t crc{0};
  uint64_t compressed_size{0};
  uint64_t size{0};
  uint64_t local_offset{0};
  uint64_t data_offset{0};  // first byte of the member's (compressed) data
};

/// The members of the archive read by `file` (`file_size` bytes), from its central directory.
/// Every size and offset is checked against the file; `op` prefixes error messages
/// ("[load_npz]"). Encrypted members and methods other than stored/deflate are rejected.
std::vector<Entry> read_directory(Reader& file, uint64_t file_size, const std::string& op);

/// A reader of a member's uncompressed bytes. A read that reaches the member's end verifies the
/// CRC-32 of the whole member (deflated members: also that the stream ends exactly there).
std::shared_ptr<Reader> open_entry(std::shared_ptr<Reader> file, const Entry& entry,
                                   const std::string& op);

/// Writes an archive member by member: begin_entry, write (any number of times), end_entry; then
/// finish. The local header is patched with the CRC and sizes after the data (the writer must be
/// seekable). ZIP64 extra fields and end records are written where sizes, offsets or the member
/// count need them, or always with `force_zip64`. Times are fixed (1980-01-01 00:00) so the
/// output depends only on the contents.
class Writer {
 public:
  Writer(std::shared_ptr<io::Writer> out, bool compress, bool force_zip64 = false);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  /// `size`: the member's uncompressed size (used to decide on ZIP64 up front).
  void begin_entry(const std::string& name, uint64_t size);
  void write(const char* data, size_t n);
  void end_entry();
  /// Writes the central directory and end records.
  void finish();

 private:
  struct State;
  std::unique_ptr<State> st_;
};

}  // namespace tandem::io::zip
