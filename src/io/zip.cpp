// Copyright © 2026 Tandem authors.
#include "io/zip.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace tandem::io::zip {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50;
constexpr uint32_t kLocator64Sig = 0x07064b50;
constexpr size_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22, kEnd64Size = 56,
                 kLocator64Size = 20;
constexpr uint32_t kMax32 = 0xFFFFFFFFu;
constexpr uint16_t kMax16 = 0xFFFF;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint16_t kDosTime = 0, kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01 00:00

uint16_t u16(const unsigned char* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t u32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t u64(const unsigned char* p) {
  return static_cast<uint64_t>(u32(p)) | (static_cast<uint64_t>(u32(p + 4)) << 32);
}

void put16(std::string& s, uint16_t v) {
  s += static_cast<char>(v & 0xFF);
  s += static_cast<char>(v >> 8);
}
void put32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    s += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    s += static_cast<char>((v >> (8 * i)) & 0xFF);
}

[[noreturn]] void corrupt(const std::string& op, const Reader& r, const std::string& why) {
  throw std::runtime_error(op + " " + r.label() + " is not a valid ZIP archive: " + why + ".");
}

// CRC-32 of n bytes (zlib's crc32 takes at most UINT_MAX bytes per call).
uint32_t crc_update(uint32_t crc, const char* p, size_t n) {
  while (n > 0) {
    uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = static_cast<uint32_t>(crc32(crc, reinterpret_cast<const Bytef*>(p), chunk));
    p += chunk;
    n -= chunk;
  }
  return crc;
}

std::string member_label(const Entry& e, Reader& file) {
  return "member '" + e.name + "' of " + file.label();
}

// ---- member readers ----

class EntryReader : public Reader {
 public:
  EntryReader(std::shared_ptr<Reader> file, Entry e, std::string op)
      : file_(std::move(file)), e_(std::move(e)), op_(std::move(op)) {}
  bool is_open() const override { return file_->is_open(); }
  bool good() const override { return file_->good(); }
  size_t tell() override { return pos_; }
  void seek(int64_t off, std::ios_base::seekdir way) override {
    int64_t base = way == std::ios_base::beg   ? 0
                   : way == std::ios_base::end ? static_cast<int64_t>(e_.size)
                                               : static_cast<int64_t>(pos_);
    if (base + off < 0) throw std::runtime_error(op_ + " Negative position in " + label() + ".");
    pos_ = static_cast<size_t>(base + off);
  }
  void read(char* data, size_t n) override {
    read(data, n, pos_);
    pos_ += n;
  }
  void read(char* data, size_t n, size_t offset) override {
    if (offset > e_.size || n > e_.size - offset) {
      throw std::runtime_error(op_ + " " + label() + " has " + std::to_string(e_.size) +
                               " bytes; " + std::to_string(n) + " bytes were needed from byte " +
                               std::to_string(offset) + ".");
    }
    read_range(data, n, offset);
  }
  std::string label() const override { return member_label(e_, *file_); }

 protected:
  virtual void read_range(char* data, size_t n, size_t offset) = 0;
  [[noreturn]] void bad_crc(uint32_t got) const {
    char buf[80];
    std::snprintf(buf, sizeof(buf), " (expected %08x, got %08x)", e_.crc, got);
    throw std::runtime_error(op_ + " CRC-32 mismatch in " + label() + buf +
                             ": the archive is corrupt.");
  }
  std::shared_ptr<Reader> file_;
  Entry e_;
  std::string op_;
  size_t pos_{0};
};

class StoredReader : public EntryReader {
 public:
  using EntryReader::EntryReader;

 protected:
  void read_range(char* data, size_t n, size_t offset) override {
    file_->read(data, n, e_.data_offset + offset);
    if (offset + n != e_.size) return;
    // The read reaches the end: check the CRC of the whole member (the prefix is re-read; for an
    // .npy member it is only the header).
    uint32_t crc = 0;
    std::vector<char> buf(std::min<size_t>(offset, 1 << 16));
    for (size_t done = 0; done < offset;) {
      size_t k = std::min(buf.size(), offset - done);
      file_->read(buf.data(), k, e_.data_offset + done);
      crc = crc_update(crc, buf.data(), k);
      done += k;
    }
    crc = crc_update(crc, data, n);
    if (crc != e_.crc) bad_crc(crc);
  }
};

class DeflateReader : public EntryReader {
 public:
  using EntryReader::EntryReader;

 protected:
  // Inflates from the start of the member on every call (no state is kept between calls, so a
  // lazily loaded member costs no memory until it is evaluated): output before `offset` is
  // discarded, the rest goes straight to `data`.
  void read_range(char* data, size_t n, size_t offset) override {
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
      throw std::runtime_error(op_ + " zlib inflateInit2 failed for " + label() + ".");
    struct Guard {
      z_stream* z;
      ~Guard() { inflateEnd(z); }
    } guard{&zs};
    const bool to_end = offset + n == e_.size;
    std::vector<char> in(1 << 18);
    std::vector<char> scratch(1 << 16);
    uint64_t in_done = 0, out_done = 0;
    const uint64_t want = offset + n;
    uint32_t crc = 0;
    int ret = Z_OK;
    while (true) {
      if (zs.avail_in == 0 && in_done < e_.compressed_size) {
        size_t k = static_cast<size_t>(std::min<uint64_t>(in.size(), e_.compressed_size - in_done));
        file_->read(in.data(), k, e_.data_offset + in_done);
        in_done += k;
        zs.next_in = reinterpret_cast<Bytef*>(in.data());
        zs.avail_in = static_cast<uInt>(k);
      }
      char* dst;
      size_t room;
      if (out_done < offset) {
        dst = scratch.data();
        room = static_cast<size_t>(std::min<uint64_t>(scratch.size(), offset - out_done));
      } else if (out_done < want) {
        dst = data + (out_done - offset);
        room = static_cast<size_t>(std::min<uint64_t>(want - out_done, 1u << 30));
      } else {
        if (!to_end) return;
        // Everything asked for is out; the stream must end here.
        dst = scratch.data();
        room = scratch.size();
      }
      zs.next_out = reinterpret_cast<Bytef*>(dst);
      zs.avail_out = static_cast<uInt>(room);
      ret = inflate(&zs, Z_NO_FLUSH);
      size_t got = room - zs.avail_out;
      if (ret == Z_NEED_DICT || ret == Z_DATA_ERROR || ret == Z_MEM_ERROR) {
        throw std::runtime_error(op_ + " Corrupt deflate data in " + label() + ": " +
                                 (zs.msg ? zs.msg : "inflate failed") + ".");
      }
      if (out_done + got > e_.size) {
        throw std::runtime_error(op_ + " " + label() + " inflates to more than its recorded " +
                                 std::to_string(e_.size) + " bytes: the archive is corrupt.");
      }
      if (to_end) crc = crc_update(crc, dst, got);
      out_done += got;
      if (ret == Z_STREAM_END) break;
      if (ret == Z_BUF_ERROR && got == 0 && zs.avail_in == 0 && in_done >= e_.compressed_size) {
        throw std::runtime_error(op_ + " The deflate data of " + label() +
                                 " ends early: the archive is truncated or corrupt.");
      }
    }
    if (out_done < want || (to_end && out_done != e_.size)) {
      throw std::runtime_error(op_ + " " + label() + " inflates to " + std::to_string(out_done) +
                               " bytes; its directory entry says " + std::to_string(e_.size) +
                               ": the archive is corrupt.");
    }
    if (to_end && crc != e_.crc) bad_crc(crc);
  }
};

}  // namespace

std::vector<Entry> read_directory(Reader& file, uint64_t file_size, const std::string& op) {
  if (file_size < kEndSize) corrupt(op, file, "it is too short to hold an end record");
  // The end record sits in the last 22 + 65535 (comment) bytes.
  uint64_t tail_len = std::min<uint64_t>(file_size, kEndSize + 0xFFFF);
  std::vector<unsigned char> tail(tail_len);
  file.read(reinterpret_cast<char*>(tail.data()), tail_len, file_size - tail_len);
  int64_t at = -1;
  for (int64_t i = static_cast<int64_t>(tail_len - kEndSize); i >= 0; --i) {
    if (u32(&tail[i]) == kEndSig && i + kEndSize + u16(&tail[i + 20]) <= tail_len) {
      at = i;
      break;
    }
  }
  if (at < 0) corrupt(op, file, "no end of central directory record (the file is truncated?)");
  const unsigned char* end = &tail[at];
  uint64_t end_pos = file_size - tail_len + at;
  uint64_t disk = u16(end + 4), cd_disk = u16(end + 6), count = u16(end + 10);
  uint64_t cd_size = u32(end + 12), cd_offset = u32(end + 16);
  uint64_t cd_limit = end_pos;  // the central directory ends before this
  // ZIP64: a locator right before the end record points at the ZIP64 end record.
  if (end_pos >= kLocator64Size) {
    unsigned char loc[kLocator64Size];
    file.read(reinterpret_cast<char*>(loc), kLocator64Size, end_pos - kLocator64Size);
    if (u32(loc) == kLocator64Sig) {
      uint64_t rec = u64(loc + 8);
      if (rec > end_pos - kLocator64Size || end_pos - kLocator64Size - rec < kEnd64Size)
        corrupt(op, file, "the ZIP64 end record lies outside the file");
      unsigned char e64[kEnd64Size];
      file.read(reinterpret_cast<char*>(e64), kEnd64Size, rec);
      if (u32(e64) != kEnd64Sig) corrupt(op, file, "bad ZIP64 end record signature");
      disk = u32(e64 + 16);
      cd_disk = u32(e64 + 20);
      count = u64(e64 + 32);
      cd_size = u64(e64 + 40);
      cd_offset = u64(e64 + 48);
      cd_limit = rec;
    } else if (count == kMax16 || cd_size == kMax32 || cd_offset == kMax32) {
      corrupt(op, file, "the end record needs a ZIP64 end record, which is missing");
    }
  }
  if (disk != 0 || cd_disk != 0) corrupt(op, file, "multi-volume archives are not supported");
  if (cd_offset > cd_limit || cd_size > cd_limit - cd_offset)
    corrupt(op, file, "the central directory lies outside the file");
  if (count > cd_size / kCentralSize) corrupt(op, file, "the member count exceeds the directory");
  std::vector<unsigned char> cd(cd_size);
  if (cd_size) file.read(reinterpret_cast<char*>(cd.data()), cd_size, cd_offset);

  std::vector<Entry> entries;
  size_t p = 0;
  for (uint64_t k = 0; k < count; ++k) {
    if (cd_size - p < kCentralSize || u32(&cd[p]) != kCentralSig)
      corrupt(op, file, "bad central directory entry " + std::to_string(k));
    const unsigned char* h = &cd[p];
    Entry e;
    e.flags = u16(h + 8);
    e.method = u16(h + 10);
    e.crc = u32(h + 16);
    e.compressed_size = u32(h + 20);
    e.size = u32(h + 24);
    size_t name_len = u16(h + 28), extra_len = u16(h + 30), comment_len = u16(h + 32);
    uint32_t entry_disk = u16(h + 34);
    e.local_offset = u32(h + 42);
    if (cd_size - p - kCentralSize < name_len + extra_len + comment_len)
      corrupt(op, file, "central directory entry " + std::to_string(k) + " runs past its end");
    e.name.assign(reinterpret_cast<const char*>(h + kCentralSize), name_len);
    // ZIP64 extra field: the 8-byte values of the fields saturated above, in this order.
    bool need64 = e.size == kMax32 || e.compressed_size == kMax32 || e.local_offset == kMax32 ||
                  entry_disk == kMax16;
    if (need64) {
      const unsigned char* x = h + kCentralSize + name_len;
      const unsigned char* x_end = x + extra_len;
      bool found = false;
      while (x_end - x >= 4) {
        uint16_t id = u16(x), len = u16(x + 2);
        if (x_end - x - 4 < len) break;
        if (id == kZip64ExtraId) {
          const unsigned char* v = x + 4;
          const unsigned char* v_end = v + len;
          auto take = [&](uint64_t& field) {
            if (v_end - v < 8) corrupt(op, file, "truncated ZIP64 extra field of '" + e.name + "'");
            field = u64(v);
            v += 8;
          };
          if (e.size == kMax32) take(e.size);
          if (e.compressed_size == kMax32) take(e.compressed_size);
          if (e.local_offset == kMax32) take(e.local_offset);
          if (entry_disk == kMax16) {
            if (v_end - v < 4) corrupt(op, file, "truncated ZIP64 extra field of '" + e.name + "'");
            entry_disk = u32(v);
          }
          found = true;
          break;
        }
        x += 4 + len;
      }
      if (!found) corrupt(op, file, "member '" + e.name + "' lacks its ZIP64 extra field");
    }
    if (entry_disk != 0) corrupt(op, file, "multi-volume archives are not supported");
    p += kCentralSize + name_len + extra_len + comment_len;

    if (e.flags & 0x1) corrupt(op, file, "member '" + e.name + "' is encrypted (not supported)");
    if (e.method != kStored && e.method != kDeflated) {
      throw std::runtime_error(op + " Member '" + e.name + "' of " + file.label() +
                               " uses compression method " + std::to_string(e.method) +
                               "; only stored (0) and deflate (8) are supported.");
    }
    if (e.method == kStored && e.compressed_size != e.size)
      corrupt(op, file, "stored member '" + e.name + "' has different sizes");
    // The local header gives where the data starts (its name and extra lengths may differ from
    // the central directory's); sizes come from the central directory.
    if (e.local_offset > cd_offset || cd_offset - e.local_offset < kLocalSize)
      corrupt(op, file, "the local header of '" + e.name + "' lies outside the file");
    unsigned char lh[kLocalSize];
    file.read(reinterpret_cast<char*>(lh), kLocalSize, e.local_offset);
    if (u32(lh) != kLocalSig) corrupt(op, file, "bad local header signature for '" + e.name + "'");
    e.data_offset = e.local_offset + kLocalSize + u16(lh + 26) + u16(lh + 28);
    if (e.data_offset > cd_offset || e.compressed_size > cd_offset - e.data_offset)
      corrupt(op, file, "the data of '" + e.name + "' runs past the start of the directory");
    entries.push_back(std::move(e));
  }
  if (p != cd_size) corrupt(op, file, "the central directory has trailing bytes");
  return entries;
}

std::shared_ptr<Reader> open_entry(std::shared_ptr<Reader> file, const Entry& entry,
                                   const std::string& op) {
  if (entry.method == kDeflated) return std::make_shared<DeflateReader>(std::move(file), entry, op);
  return std::make_shared<StoredReader>(std::move(file), entry, op);
}

// ---------------- writer ----------------

struct Writer::State {
  std::shared_ptr<io::Writer> out;
  bool compress;
  bool force64;
  struct Done {
    std::string name;
    uint16_t method;
    uint32_t crc;
    uint64_t csize, size, offset;
    bool local64;
  };
  std::vector<Done> done;
  // The member being written.
  bool open{false};
  Done cur{};
  uint64_t declared{0};
  z_stream zs{};
  bool zs_init{false};
  std::vector<char> zbuf;

  ~State() {
    if (zs_init) deflateEnd(&zs);
  }
  void emit(const char* p, size_t n) {
    out->write(p, n);
    cur.csize += n;
  }
  void deflate_some(const char* p, size_t n, int flush) {
    // zlib's avail_in is 32-bit: feed at most 1 GiB at a time.
    do {
      size_t chunk = std::min<size_t>(n, 1u << 30);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p));
      zs.avail_in = static_cast<uInt>(chunk);
      int f = chunk == n ? flush : Z_NO_FLUSH;
      int ret;
      do {
        zs.next_out = reinterpret_cast<Bytef*>(zbuf.data());
        zs.avail_out = static_cast<uInt>(zbuf.size());
        ret = deflate(&zs, f);
        if (ret == Z_STREAM_ERROR)
          throw std::runtime_error("[savez_compressed] zlib deflate failed.");
        emit(zbuf.data(), zbuf.size() - zs.avail_out);
      } while (zs.avail_out == 0 || (f == Z_FINISH && ret != Z_STREAM_END));
      p += chunk;
      n -= chunk;
    } while (n > 0);
  }
};

Writer::Writer(std::shared_ptr<io::Writer> out, bool compress, bool force_zip64)
    : st_(std::make_unique<State>()) {
  st_->out = std::move(out);
  st_->compress = compress;
  st_->force64 = force_zip64;
}

Writer::~Writer() = default;

void Writer::begin_entry(const std::string& name, uint64_t size) {
  auto& s = *st_;
  if (s.open) throw std::logic_error("[zip] begin_entry while a member is open.");
  if (name.size() > kMax16) throw std::invalid_argument("[savez] Member name too long: " + name);
  s.cur = {};
  s.cur.name = name;
  s.cur.method = s.compress ? kDeflated : kStored;
  s.cur.offset = s.out->tell();
  s.declared = size;
  uint64_t bound = size;
  if (s.compress) {
    // deflateBound's worst case for stored blocks: 5 bytes per 16 KiB block plus a little.
    bound = size + (size >> 12) + (size >> 14) + (size >> 25) + 13 + 6;
  }
  s.cur.local64 = s.force64 || size >= kMax32 || bound >= kMax32;
  std::string h;
  put32(h, kLocalSig);
  put16(h, s.cur.local64 ? 45 : 20);
  put16(h, 0);  // flags
  put16(h, s.cur.method);
  put16(h, kDosTime);
  put16(h, kDosDate);
  put32(h, 0);  // CRC, patched
  put32(h, s.cur.local64 ? kMax32 : 0);
  put32(h, s.cur.local64 ? kMax32 : 0);
  put16(h, static_cast<uint16_t>(name.size()));
  put16(h, s.cur.local64 ? 20 : 0);
  h += name;
  if (s.cur.local64) {
    put16(h, kZip64ExtraId);
    put16(h, 16);
    put64(h, 0);  // sizes, patched
    put64(h, 0);
  }
  s.out->write(h.data(), h.size());
  if (s.compress) {
    if (!s.zs_init) {
      if (deflateInit2(&s.zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8,
                       Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("[savez_compressed] zlib deflateInit2 failed.");
      s.zs_init = true;
      s.zbuf.resize(1 << 18);
    } else {
      deflateReset(&s.zs);
    }
  }
  s.open = true;
}

void Writer::write(const char* data, size_t n) {
  auto& s = *st_;
  s.cur.crc = crc_update(s.cur.crc, data, n);
  s.cur.size += n;
  if (s.compress) {
    if (n) s.deflate_some(data, n, Z_NO_FLUSH);
  } else {
    s.emit(data, n);
  }
}

void Writer::end_entry() {
  auto& s = *st_;
  if (s.compress) s.deflate_some(nullptr, 0, Z_FINISH);
  if (s.cur.size != s.declared)
    throw std::logic_error("[zip] Member size differs from the size given to begin_entry.");
  uint64_t end = s.out->tell();
  std::string fix;
  put32(fix, s.cur.crc);
  put32(fix, s.cur.local64 ? kMax32 : static_cast<uint32_t>(s.cur.csize));
  put32(fix, s.cur.local64 ? kMax32 : static_cast<uint32_t>(s.cur.size));
  s.out->seek(static_cast<int64_t>(s.cur.offset + 14));
  s.out->write(fix.data(), fix.size());
  if (s.cur.local64) {
    std::string x;
    put64(x, s.cur.size);
    put64(x, s.cur.csize);
    s.out->seek(static_cast<int64_t>(s.cur.offset + kLocalSize + s.cur.name.size() + 4));
    s.out->write(x.data(), x.size());
  }
  s.out->seek(static_cast<int64_t>(end));
  s.done.push_back(s.cur);
  s.open = false;
}

void Writer::finish() {
  auto& s = *st_;
  if (s.open) throw std::logic_error("[zip] finish while a member is open.");
  uint64_t cd_offset = s.out->tell();
  std::string cd;
  for (auto& d : s.done) {
    bool big_size = s.force64 || d.size >= kMax32, big_csize = s.force64 || d.csize >= kMax32,
         big_off = s.force64 || d.offset >= kMax32;
    bool z64 = big_size || big_csize || big_off;
    std::string extra;
    if (z64) {
      put16(extra, kZip64ExtraId);
      put16(extra, static_cast<uint16_t>(8 * (big_size + big_csize + big_off)));
      if (big_size) put64(extra, d.size);
      if (big_csize) put64(extra, d.csize);
      if (big_off) put64(extra, d.offset);
    }
    uint16_t version = (z64 || d.local64) ? 45 : 20;
    put32(cd, kCentralSig);
    put16(cd, static_cast<uint16_t>((3 << 8) | version));  // made by: Unix
    put16(cd, version);
    put16(cd, 0);
    put16(cd, d.method);
    put16(cd, kDosTime);
    put16(cd, kDosDate);
    put32(cd, d.crc);
    put32(cd, big_csize ? kMax32 : static_cast<uint32_t>(d.csize));
    put32(cd, big_size ? kMax32 : static_cast<uint32_t>(d.size));
    put16(cd, static_cast<uint16_t>(d.name.size()));
    put16(cd, static_cast<uint16_t>(extra.size()));
    put16(cd, 0);               // comment
    put16(cd, 0);               // disk
    put16(cd, 0);               // internal attributes
    put32(cd, 0100644u << 16);  // external: regular file, rw-r--r--
    put32(cd, big_off ? kMax32 : static_cast<uint32_t>(d.offset));
    cd += d.name;
    cd += extra;
  }
  s.out->write(cd.data(), cd.size());
  uint64_t n = s.done.size(), cd_size = cd.size();
  bool z64 = s.force64 || n >= kMax16 || cd_size >= kMax32 || cd_offset >= kMax32;
  std::string tail;
  if (z64) {
    uint64_t rec = cd_offset + cd_size;
    put32(tail, kEnd64Sig);
    put64(tail, kEnd64Size - 12);
    put16(tail, (3 << 8) | 45);
    put16(tail, 45);
    put32(tail, 0);
    put32(tail, 0);
    put64(tail, n);
    put64(tail, n);
    put64(tail, cd_size);
    put64(tail, cd_offset);
    put32(tail, kLocator64Sig);
    put32(tail, 0);
    put64(tail, rec);
    put32(tail, 1);
  }
  put32(tail, kEndSig);
  put16(tail, 0);
  put16(tail, 0);
  put16(tail, static_cast<uint16_t>(z64 ? kMax16 : n));
  put16(tail, static_cast<uint16_t>(z64 ? kMax16 : n));
  put32(tail, z64 ? kMax32 : static_cast<uint32_t>(cd_size));
  put32(tail, z64 ? kMax32 : static_cast<uint32_t>(cd_offset));
  put16(tail, 0);
  s.out->write(tail.data(), tail.size());
}

}  // namespace tandem::io::zip
