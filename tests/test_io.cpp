// Copyright © 2026 Tandem authors.
// Arrays on disk (io.h): .npy, .npz, safetensors, sharded checkpoints, lazy loading, corrupt
// files, and the nn weight/state files that use them.
//
// Laziness is checked by modifying a file between load and eval (the new bytes are what eval
// returns), by deleting it (eval still works: the file stays open), and by the loaded arrays'
// status (not available until evaluated, one at a time).
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>

#include "harness.h"
#include "io/zip.h"
#include "io_fixtures.h"
#include "tandem/io.h"

using namespace tandem;
using tandem_test::all_dtypes;
using tandem_test::layouts;

namespace {

std::string tmp(const std::string& name) {
  return ::testing::TempDir() + "tandem_io_" + std::to_string(::getpid()) + "_" + name;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Overwrite bytes of an existing file in place (same inode: a loaded array's open file sees it).
void patch_file(const std::string& path, size_t offset, const std::string& bytes) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The row-major bytes of an array.
std::string raw_bytes(const array& a) {
  array c = contiguous(a);
  c.eval();
  if (c.nbytes() == 0) return "";
  return std::string(c.data<char>(), c.nbytes());
}

template <typename T>
std::string le_bytes(std::initializer_list<T> vals) {
  std::string s;
  for (T v : vals)
    s.append(reinterpret_cast<const char*>(&v), sizeof(T));
  return s;
}

std::string reversed_each(const std::string& s, size_t width) {
  std::string out = s;
  for (size_t i = 0; i < out.size(); i += width)
    std::reverse(out.begin() + i, out.begin() + i + width);
  return out;
}

// A .npy file from a header dict, padded as the format requires (version 1, 2 or 3).
std::string npy_file(const std::string& dict, const std::string& data, int version = 1) {
  size_t prefix = version == 1 ? 10 : 12;
  size_t hlen = dict.size() + 1;
  size_t pad = (64 - (prefix + hlen) % 64) % 64;
  size_t total = hlen + pad;
  std::string s("\x93NUMPY", 6);
  s += static_cast<char>(version);
  s += '\0';
  for (size_t i = 0; i < prefix - 8; ++i)
    s += static_cast<char>((total >> (8 * i)) & 0xFF);
  return s + dict + std::string(pad, ' ') + "\n" + data;
}

// A Writer into memory (seekable), to show the io::Writer interface and to build archives.
class StringWriter : public io::Writer {
 public:
  std::string buf;
  size_t pos = 0;
  bool is_open() const override { return true; }
  bool good() const override { return true; }
  size_t tell() override { return pos; }
  void seek(int64_t off, std::ios_base::seekdir way) override {
    pos = way == std::ios_base::beg   ? off
          : way == std::ios_base::end ? buf.size() + off
                                      : pos + off;
  }
  void write(const char* data, size_t n) override {
    if (buf.size() < pos + n) buf.resize(pos + n);
    std::memcpy(buf.data() + pos, data, n);
    pos += n;
  }
  std::string label() const override { return "memory"; }
};

// A Reader over memory that counts the bytes read through it.
class CountingReader : public io::Reader {
 public:
  explicit CountingReader(std::string data) : data_(std::move(data)) {}
  std::atomic<size_t> bytes_read{0};
  bool is_open() const override { return true; }
  bool good() const override { return true; }
  size_t tell() override { return pos_; }
  void seek(int64_t off, std::ios_base::seekdir way) override {
    pos_ = way == std::ios_base::beg   ? off
           : way == std::ios_base::end ? data_.size() + off
                                       : pos_ + off;
  }
  void read(char* data, size_t n) override {
    read(data, n, pos_);
    pos_ += n;
  }
  void read(char* data, size_t n, size_t offset) override {
    if (offset + n > data_.size()) throw std::runtime_error("CountingReader: past the end");
    std::memcpy(data, data_.data() + offset, n);
    bytes_read += n;
  }
  std::string label() const override { return "memory"; }

 private:
  std::string data_;
  size_t pos_ = 0;
};

const std::vector<double> kVals{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

}  // namespace

// ================================ .npy ================================

TEST(IoNpy, RoundTripsEveryDtypeAndLayout) {
  auto path = tmp("rt.npy");
  for (auto dt : all_dtypes()) {
    for (auto& lc : layouts(kVals, dt)) {
      SCOPED_TRACE(dtype_name(dt) + " " + lc.name);
      save(path, lc.input);
      array b = load(path);
      EXPECT_EQ(b.dtype(), dt);
      EXPECT_EQ(b.shape(), lc.shape);
      EXPECT_EQ(raw_bytes(b), raw_bytes(lc.input));
    }
  }
  // Complex values with imaginary parts, and special floats.
  array c(std::vector<complex64_t>{{1.5f, -2.f}, {0.f, 3.25f}}, {2});
  save(path, c);
  EXPECT_EQ(raw_bytes(load(path)), raw_bytes(c));
  array f({1.f, -0.f, INFINITY, -INFINITY, NAN}, float32);
  save(path, f);
  EXPECT_EQ(raw_bytes(load(path)), raw_bytes(f));
  std::remove(path.c_str());
}

TEST(IoNpy, WritesNumpysExactBytes) {
  // numpy.save(f, np.array([1, -2, 3], dtype="<i2")) writes these 134 bytes: the preamble, the
  // dict with 20 spare spaces after it (room to grow the first extent to 21 digits), padding to
  // 64 bytes and '\n', then the data.
  const std::string dict = "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }";
  std::string expected = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict +
                         std::string(128 - 10 - dict.size() - 1, ' ') + "\n" +
                         le_bytes<int16_t>({1, -2, 3});
  ASSERT_EQ(expected.size(), 134u);
  auto path = tmp("exact.npy");
  save(path, array({1, -2, 3}, int16));
  EXPECT_EQ(read_file(path), expected);

  // Shapes print as Python tuples: () and (2, 3); bool is '|b1', bfloat16 '<V2' (as MLX writes).
  auto header = [&](const array& a) {
    save(path, a);
    std::string s = read_file(path);
    EXPECT_EQ(s.size() % 64, a.nbytes() % 64);
    return s.substr(10, s.find('}') - 9);
  };
  EXPECT_EQ(header(array(2.5f)), "{'descr': '<f4', 'fortran_order': False, 'shape': (), }");
  EXPECT_EQ(header(zeros({2, 3}, float64)),
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }");
  EXPECT_EQ(header(zeros({0}, bool_)), "{'descr': '|b1', 'fortran_order': False, 'shape': (0,), }");
  EXPECT_EQ(header(zeros({1}, bfloat16)),
            "{'descr': '<V2', 'fortran_order': False, 'shape': (1,), }");
  EXPECT_EQ(header(zeros({1}, complex64)),
            "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }");
  EXPECT_EQ(header(zeros({1}, uint64)),
            "{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }");
  std::remove(path.c_str());
}

TEST(IoNpy, AppendsExtensionAndRefusesOtherFormats) {
  auto base = tmp("noext");
  save(base, arange(3));
  EXPECT_EQ(load(base + ".npy").to_vector<int>(), (std::vector<int>{0, 1, 2}));
  EXPECT_THROW_MSG(load(base + ".npz"), std::invalid_argument, "use load_npz");
  EXPECT_THROW_MSG(load(base + ".safetensors"), std::invalid_argument, "use load_safetensors");
  EXPECT_THROW_MSG(load(base + ".missing"), std::runtime_error, "[load] Failed to open file");
  std::remove((base + ".npy").c_str());
}

TEST(IoNpy, ReadsFortranOrderBigEndianAndOtherHeaders) {
  auto path = tmp("hand.npy");
  auto check = [&](const std::string& bytes, auto expected, const Shape& shape, Dtype dt) {
    write_file(path, bytes);
    array a = load(path);
    EXPECT_EQ(a.dtype(), dt);
    EXPECT_ARRAY_EQ(a, expected, shape);
  };
  // Fortran order: the file holds the columns.
  check(npy_file("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }",
                 le_bytes<int32_t>({0, 3, 1, 4, 2, 5})),
        std::vector<int32_t>{0, 1, 2, 3, 4, 5}, Shape{2, 3}, int32);
  // Big-endian data of several widths.
  check(npy_file("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
                 reversed_each(le_bytes<float>({1.5f, -2.f}), 4)),
        std::vector<float>{1.5f, -2.f}, Shape{2}, float32);
  check(npy_file("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }",
                 reversed_each(le_bytes<int64_t>({1, -70000000000}), 8)),
        std::vector<int64_t>{1, -70000000000}, Shape{2}, int64);
  check(npy_file("{'descr': '>u2', 'fortran_order': False, 'shape': (1,), }",
                 reversed_each(le_bytes<uint16_t>({0x1234}), 2)),
        std::vector<uint16_t>{0x1234}, Shape{1}, uint16);
  check(npy_file("{'descr': '>f8', 'fortran_order': False, 'shape': (), }",
                 reversed_each(le_bytes<double>({-0.125}), 8)),
        std::vector<double>{-0.125}, Shape{}, float64);
  // Big-endian complex: each float of the pair is swapped on its own.
  write_file(path, npy_file("{'descr': '>c8', 'fortran_order': False, 'shape': (1,), }",
                            reversed_each(le_bytes<float>({1.5f, -2.5f}), 4)));
  EXPECT_EQ(load(path).to_vector<complex64_t>()[0], complex64_t(1.5f, -2.5f));
  // Fortran order and big-endian together, 3-d: element (i, j, k) at i + 2j + 4k.
  {
    std::vector<int16_t> col(2 * 2 * 3);
    std::vector<int16_t> expect;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j)
        for (int k = 0; k < 3; ++k) {
          int16_t v = static_cast<int16_t>(100 * i + 10 * j + k);
          col[i + 2 * j + 4 * k] = v;
          expect.push_back(v);
        }
    std::string data(reinterpret_cast<char*>(col.data()), col.size() * 2);
    check(npy_file("{'descr': '>i2', 'fortran_order': True, 'shape': (2, 2, 3), }",
                   reversed_each(data, 2)),
          expect, Shape{2, 2, 3}, int16);
  }
  // Versions 2.0 and 3.0 (4-byte header length), keys in another order, double quotes, Python 2
  // longs, no byte-order character, bool and bfloat16 ('V2').
  check(npy_file("{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"u1\"}", "\x07\x09", 2),
        std::vector<uint8_t>{7, 9}, Shape{2}, uint8);
  check(npy_file("{'descr': '<u4', 'fortran_order': False, 'shape': (1,)}",
                 le_bytes<uint32_t>({42}), 3),
        std::vector<uint32_t>{42}, Shape{1}, uint32);
  check(npy_file("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
                 std::string("\1\0\1", 3)),
        std::vector<uint8_t>{1, 0, 1}, Shape{3}, bool_);
  check(npy_file("{'descr': '<V2', 'fortran_order': False, 'shape': (2,), }",
                 le_bytes<uint16_t>({0x3FC0, 0xC000})),  // bfloat16 1.5, -2
        std::vector<float>{1.5f, -2.f}, Shape{2}, bfloat16);
  check(npy_file("{'descr': '<f2', 'fortran_order': False, 'shape': (1, 1), }",
                 le_bytes<uint16_t>({0x3E00})),  // float16 1.5
        std::vector<float>{1.5f}, Shape{1, 1}, float16);
  // Empty arrays with any other extent.
  check(npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (0, 5), }", ""),
        std::vector<float>{}, Shape{0, 5}, float32);
  std::remove(path.c_str());
}

TEST(IoNpy, CorruptFilesThrowClearly) {
  auto path = tmp("bad.npy");
  auto expect_bad = [&](const std::string& bytes, const std::string& msg) {
    write_file(path, bytes);
    EXPECT_THROW_MSG(load(path), std::runtime_error, msg);
  };
  const std::string good_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const std::string data = le_bytes<float>({1.f, 2.f});
  expect_bad("", "[load]");
  expect_bad("not a numpy file at all, but long enough", "bad magic");
  std::string v9 = npy_file(good_dict, data);
  v9[6] = 9;
  expect_bad(v9, "format version 9.0");
  std::string long_header = npy_file(good_dict, data);
  long_header[8] = '\xff';
  long_header[9] = '\x7f';
  expect_bad(long_header, "runs past the end of the file");
  expect_bad(npy_file(good_dict, data.substr(0, 7)), "is truncated: its array needs 8 bytes");
  expect_bad(npy_file("{'descr': '<f4', 'shape': (2,), }", data), "are all required");
  expect_bad(npy_file("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", data),
             "expected True or False");
  expect_bad(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }", data),
             "expected a non-negative integer");
  expect_bad(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': 2, }", data),
             "expected a tuple");
  expect_bad(npy_file("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", data + data),
             "complex128 has no Tandem dtype");
  expect_bad(npy_file("{'descr': '<U2', 'fortran_order': False, 'shape': (1,), }", data),
             "Unsupported dtype '<U2'");
  expect_bad(npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", data),
             "structured array");
  expect_bad(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", data),
             "unexpected key 'x'");
  expect_bad(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,), }", data),
             "limit of 2^31-1");
  // A valid file cut at every length throws, and never crashes.
  std::string good = npy_file(good_dict, data);
  for (size_t n = 0; n < good.size(); ++n) {
    write_file(path, good.substr(0, n));
    EXPECT_THROW_MSG(load(path), std::runtime_error, "[load]");
  }
  write_file(path, good);
  EXPECT_ARRAY_EQ(load(path), std::vector<float>{1.f, 2.f}, Shape{2});
  std::remove(path.c_str());
}

TEST(IoNpy, ReaderAndWriterInterfaces) {
  auto w = std::make_shared<StringWriter>();
  save(w, array({1.f, 2.f, 3.f}, {3}));
  auto r = std::make_shared<CountingReader>(w->buf);
  array a = load(r);
  size_t header_bytes = r->bytes_read;
  EXPECT_LT(header_bytes, 130u);
  EXPECT_FALSE(a.is_available());
  EXPECT_ARRAY_EQ(a, std::vector<float>{1, 2, 3}, Shape{3});
  EXPECT_EQ(r->bytes_read, header_bytes + 12);  // exactly the data, once
}

// ================================ .npz ================================

TEST(IoNpz, RoundTripsEveryDtypeStoredAndCompressed) {
  for (bool compressed : {false, true}) {
    SCOPED_TRACE(compressed ? "compressed" : "stored");
    std::unordered_map<std::string, array> m;
    for (auto dt : all_dtypes()) {
      for (auto& lc : layouts(kVals, dt))
        m.emplace(dtype_name(dt) + "/" + lc.name, lc.input);
    }
    m.emplace("layers.0.weight", random::normal({64, 33}));
    auto path = tmp(compressed ? "c" : "s");  // ".npz" is appended
    if (compressed)
      savez_compressed(path, m);
    else
      savez(path, m);
    auto back = load_npz(path + ".npz");
    ASSERT_EQ(back.size(), m.size());
    for (auto& [k, a] : m) {
      SCOPED_TRACE(k);
      ASSERT_TRUE(back.count(k));
      EXPECT_EQ(back.at(k).dtype(), a.dtype());
      EXPECT_EQ(back.at(k).shape(), a.shape());
      EXPECT_EQ(raw_bytes(back.at(k)), raw_bytes(a));
    }
    std::remove((path + ".npz").c_str());
  }
}

TEST(IoNpz, PositionalArraysAreNamedLikeNumpy) {
  auto path = tmp("pos.npz");
  savez(path, std::vector<array>{arange(2), array(1.5f)});
  auto m = load_npz(path);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_ARRAY_EQ(m.at("arr_0"), std::vector<int>{0, 1}, Shape{2});
  EXPECT_ARRAY_EQ(m.at("arr_1"), std::vector<float>{1.5f}, Shape{});
  std::remove(path.c_str());
}

TEST(IoNpz, ReadsNumpysOwnFiles) {
  for (auto* bytes : {&io_fixtures::kNumpyNpzStored, &io_fixtures::kNumpyNpzDeflated}) {
    auto path = tmp("numpy.npz");
    write_file(path, *bytes);
    auto m = load_npz(path);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m.at("a").dtype(), int32);
    EXPECT_ARRAY_EQ(m.at("a"), std::vector<int32_t>{0, 1, 2}, Shape{3});
    EXPECT_EQ(m.at("b").dtype(), float64);
    EXPECT_ARRAY_EQ(m.at("b"), std::vector<double>{1.5, -2.0}, Shape{1, 2});
    std::remove(path.c_str());
  }
}

TEST(IoNpz, WritesAndReadsZip64Records) {
  // Archives over 4 GiB need ZIP64 fields; force them on a small archive to check both sides.
  for (bool compress : {false, true}) {
    auto npy = std::make_shared<StringWriter>();
    save(npy, array({1, 2, 3, 4}, {2, 2}, int64));
    auto out = std::make_shared<StringWriter>();
    io::zip::Writer zw(out, compress, /*force_zip64=*/true);
    for (const char* name : {"x.npy", "y.npy"}) {
      zw.begin_entry(name, npy->buf.size());
      zw.write(npy->buf.data(), npy->buf.size());
      zw.end_entry();
    }
    zw.finish();
    EXPECT_NE(out->buf.find(std::string("PK\x06\x06", 4)), std::string::npos);  // ZIP64 end record
    EXPECT_NE(out->buf.find(std::string("PK\x06\x07", 4)), std::string::npos);  // its locator
    auto path = tmp("zip64.npz");
    write_file(path, out->buf);
    auto m = load_npz(path);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_ARRAY_EQ(m.at("y"), std::vector<int64_t>{1, 2, 3, 4}, Shape{2, 2});
    std::remove(path.c_str());
  }
}

TEST(IoNpz, CorruptArchivesThrowClearly) {
  auto path = tmp("bad.npz");
  savez(path, {{"a", arange(8, float32)}, {"b", array({1, 2}, int8)}});
  const std::string good = read_file(path);
  // Cut at every length: the end record is gone, so load_npz itself throws.
  for (size_t n = 0; n < good.size(); ++n) {
    write_file(path, good.substr(0, n));
    EXPECT_THROW_MSG(load_npz(path), std::runtime_error, "[load_npz]");
  }
  EXPECT_THROW_MSG(load_npz(path + ".missing"), std::runtime_error, "[load_npz] Failed to open");
  // A flipped data byte loads (only headers are read) but fails its CRC-32 check on eval.
  std::string bad = good;
  size_t data_a = bad.find(std::string("\x00\x00\x80\x3f", 4));  // 1.0f in "a"
  ASSERT_NE(data_a, std::string::npos);
  bad[data_a + 3] = 0x40;
  write_file(path, bad);
  auto m = load_npz(path);
  EXPECT_THROW_MSG(m.at("a").eval(), std::runtime_error, "CRC-32 mismatch in member 'a.npy'");
  EXPECT_ARRAY_EQ(m.at("b"), std::vector<int8_t>{1, 2}, Shape{2});  // the other member is fine
  // A bad local header signature.
  bad = good;
  bad[1] = 'X';
  write_file(path, bad);
  EXPECT_THROW_MSG(load_npz(path), std::runtime_error, "bad local header signature");
  // An unsupported compression method in the central directory.
  bad = good;
  size_t cd = bad.find(std::string("PK\x01\x02", 4));
  bad[cd + 10] = 12;
  write_file(path, bad);
  EXPECT_THROW_MSG(load_npz(path), std::runtime_error, "compression method 12");
  // Not a ZIP file.
  write_file(path, std::string(100, 'z'));
  EXPECT_THROW_MSG(load_npz(path), std::runtime_error, "no end of central directory record");

  // Compressed: flipping bytes of the deflate stream fails on eval (bad data or CRC), never
  // crashes; so does a member whose stream was cut short.
  savez_compressed(path, {{"r", random::normal({200})}});
  const std::string cgood = read_file(path);
  size_t start = cgood.find("r.npy") + 5;
  for (size_t k = 0; k < 40; ++k) {
    bad = cgood;
    bad[start + 10 + 7 * k] ^= 0x5A;
    write_file(path, bad);
    try {
      auto mm = load_npz(path);
      mm.at("r").eval();
      ADD_FAILURE() << "corruption at " << k << " was not detected";
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(tandem_test::contains(e.what(), "[load_npz]")) << e.what();
    }
  }
  std::remove(path.c_str());
}

// ============================ safetensors ============================

TEST(IoSafetensors, RoundTripsEveryDtypeAndMetadata) {
  std::unordered_map<std::string, array> m;
  for (auto dt : all_dtypes()) {
    for (auto& lc : layouts(kVals, dt))
      m.emplace(dtype_name(dt) + "." + lc.name, lc.input);
  }
  m.emplace("complex", array(std::vector<complex64_t>{{1.f, -1.f}, {2.5f, 0.5f}}, {2}));
  std::unordered_map<std::string, std::string> meta{{"format", "pt"}, {"note", "a \"quoted\"\n é"}};
  auto path = tmp("rt");  // ".safetensors" is appended
  save_safetensors(path, m, meta);
  auto [back, back_meta] = load_safetensors(path + ".safetensors");
  EXPECT_EQ(back_meta, meta);
  ASSERT_EQ(back.size(), m.size());
  for (auto& [k, a] : m) {
    SCOPED_TRACE(k);
    ASSERT_TRUE(back.count(k));
    EXPECT_EQ(back.at(k).dtype(), a.dtype());
    EXPECT_EQ(back.at(k).shape(), a.shape());
    EXPECT_EQ(raw_bytes(back.at(k)), raw_bytes(a));
  }
  std::remove((path + ".safetensors").c_str());
}

TEST(IoSafetensors, HeaderIsExact) {
  auto path = tmp("exact.safetensors");
  save_safetensors(path,
                   {{"b", array({1.f, 2.f}, float32)},
                    {"a", array({int64_t{7}}, int64)},
                    {"c", array({true, false, true}, bool_)},
                    {"h", array({1.f}, bfloat16)}},
                   {{"format", "pt"}});
  std::string s = read_file(path);
  // Larger items first, then by name: every tensor starts at a multiple of its item size.
  std::string json =
      "{\"__metadata__\":{\"format\":\"pt\"},"
      "\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
      "\"h\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[16,18]},"
      "\"c\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[18,21]}}";
  json += std::string((8 - json.size() % 8) % 8, ' ');
  std::string expected = le_bytes<uint64_t>({json.size()}) + json + le_bytes<int64_t>({7}) +
                         le_bytes<float>({1.f, 2.f}) + le_bytes<uint16_t>({0x3F80}) +
                         std::string("\1\0\1", 3);
  EXPECT_EQ(s, expected);
  // No metadata: no "__metadata__" entry; 0-d and empty tensors are allowed.
  save_safetensors(path, {{"s", array(3.f)}, {"e", zeros({0, 2}, float16)}});
  std::string s2 = read_file(path);
  std::string json2 =
      "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
      "\"e\":{\"dtype\":\"F16\",\"shape\":[0,2],\"data_offsets\":[4,4]}}";
  json2 += std::string((8 - json2.size() % 8) % 8, ' ');
  EXPECT_EQ(s2, le_bytes<uint64_t>({json2.size()}) + json2 + le_bytes<float>({3.f}));
  EXPECT_THROW_MSG(save_safetensors(path, {{"__metadata__", array(1.f)}}), std::invalid_argument,
                   "cannot name a tensor");
  std::remove(path.c_str());
}

TEST(IoSafetensors, ReadsHandWrittenFiles) {
  // Whitespace, member order, escapes and unused trailing bytes as other writers may produce.
  std::string json =
      " { \"w\\u00e9ight\" : { \"shape\" : [ 2 , 2 ] , \"data_offsets\" : [ 8 , 24 ] ,"
      " \"dtype\" : \"F32\" } , \"__metadata__\" : { \"k\" : \"v\" } ,"
      " \"n\" : { \"dtype\" : \"U16\" , \"shape\" : [ 4 ] , \"data_offsets\" : [ 0 , 8 ] } }";
  std::string file = le_bytes<uint64_t>({json.size()}) + json +
                     le_bytes<uint16_t>({1, 2, 65535, 4}) + le_bytes<float>({1, 2, 3, 4}) + "xx";
  auto path = tmp("hand.safetensors");
  write_file(path, file);
  auto [m, meta] = load_safetensors(path);
  EXPECT_EQ(meta.at("k"), "v");
  EXPECT_ARRAY_EQ(m.at("w\xc3\xa9ight"), std::vector<float>{1, 2, 3, 4}, Shape{2, 2});
  EXPECT_ARRAY_EQ(m.at("n"), std::vector<uint16_t>{1, 2, 65535, 4}, Shape{4});
  std::remove(path.c_str());
}

TEST(IoSafetensors, CorruptFilesThrowClearly) {
  auto path = tmp("bad.safetensors");
  auto file = [](const std::string& json, const std::string& data) {
    return le_bytes<uint64_t>({json.size()}) + json + data;
  };
  auto expect_bad = [&](const std::string& bytes, const std::string& msg) {
    write_file(path, bytes);
    EXPECT_THROW_MSG(load_safetensors(path), std::runtime_error, "[load_safetensors]");
    EXPECT_THROW_MSG(load_safetensors(path), std::runtime_error, msg);
  };
  const std::string d8 = le_bytes<float>({1, 2});
  expect_bad("abc", "too short to be a safetensors file");
  expect_bad(le_bytes<uint64_t>({0}) + "{}", "Invalid header length 0");
  expect_bad(le_bytes<uint64_t>({uint64_t{1} << 40}) + "{}", "Invalid header length");
  expect_bad(le_bytes<uint64_t>({100}) + "{}", "runs past the end of the file");
  expect_bad(file("{\"a\":", ""), "Invalid JSON header");
  expect_bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", d8),
             "unexpected text after the document");
  expect_bad(file("[1,2]", ""), "is not a JSON object");
  expect_bad(
      file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1,\"x\":2}}", d8),
      "duplicate member");
  expect_bad(file("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", d8),
             "Unknown dtype 'F8_E4M3' of tensor 'a'");
  expect_bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", d8),
             "run past the end of its 8-byte data buffer");
  expect_bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", d8),
             "has shape (3) and dtype F32 (12 bytes) but its data_offsets span 8 bytes");
  expect_bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", d8),
             "are reversed");
  expect_bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", d8),
             "must be a non-negative integer");
  expect_bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", d8),
             "must be a non-negative integer");
  expect_bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", d8), "needs \"dtype\"");
  expect_bad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", d8),
             "must be [begin, end]");
  expect_bad(file("{\"__metadata__\":{\"k\":1}}", ""), "is not a string");
  expect_bad(
      file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999999999999999]}}",
           d8),
      "must be a non-negative integer");
  std::string deep(100, '[');
  expect_bad(file(deep, ""), "nesting too deep");
  EXPECT_THROW_MSG(load_safetensors(path + ".missing"), std::runtime_error,
                   "[load_safetensors] Failed to open file");

  // A valid file cut at every length throws at load, never crashes.
  save_safetensors(path, {{"x", arange(5, float32)}, {"y", array({1, 2}, int16)}}, {{"m", "v"}});
  const std::string good = read_file(path);
  for (size_t n = 0; n < good.size(); ++n) {
    write_file(path, good.substr(0, n));
    EXPECT_THROW_MSG(load_safetensors(path), std::runtime_error, "[load_safetensors]");
  }
  std::remove(path.c_str());
}

// ============================ loads on a device ============================

// Every format, byte order and reader loaded with an explicit device: on a GPU the Load kernel
// stages the bytes through pinned memory (in 16 MiB pieces for plain files) and fixes the byte
// order on the host, exactly as the CPU kernel does.
DEVICE_TEST(IoDevice, LoadsOnTheGivenDevice) {
  auto path = tmp("dev.npy");
  for (auto dt : all_dtypes()) {
    SCOPED_TRACE(dtype_name(dt));
    array a = tandem_test::make(kVals, {3, 4}, dt);
    save(path, a);
    array b = load(path, device);
    ASSERT_TRUE(b.has_primitive());
    EXPECT_EQ(b.primitive().device(), device);
    EXPECT_EQ(raw_bytes(b), raw_bytes(a));
    // Used by an op on the same device.
    if (dt != bool_) EXPECT_EQ(raw_bytes(add(b, b, device)), raw_bytes(add(a, a)));
  }
  // Big-endian files of every width (complex: each half swapped).
  auto check = [&](const std::string& bytes, auto expected, const Shape& shape) {
    write_file(path, bytes);
    EXPECT_ARRAY_EQ(load(path, device), expected, shape);
  };
  check(npy_file("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
                 reversed_each(le_bytes<float>({1.5f, -2.f}), 4)),
        std::vector<float>{1.5f, -2.f}, Shape{2});
  check(npy_file("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }",
                 reversed_each(le_bytes<int64_t>({1, -70000000000}), 8)),
        std::vector<int64_t>{1, -70000000000}, Shape{2});
  check(npy_file("{'descr': '>u2', 'fortran_order': False, 'shape': (3,), }",
                 reversed_each(le_bytes<uint16_t>({0x1234, 1, 0xff00}), 2)),
        std::vector<uint16_t>{0x1234, 1, 0xff00}, Shape{3});
  write_file(path, npy_file("{'descr': '>c8', 'fortran_order': False, 'shape': (1,), }",
                            reversed_each(le_bytes<float>({1.5f, -2.5f}), 4)));
  EXPECT_EQ(load(path, device).to_vector<complex64_t>()[0], complex64_t(1.5f, -2.5f));
  // Larger than one staging piece (16 MiB) and big-endian: pieces swap on their own.
  {
    const int n = (5 << 20) + 3;  // 20 MiB + 12 bytes of int32
    std::vector<int32_t> v(n);
    for (int i = 0; i < n; ++i)
      v[i] = i * 7 - 1000;
    std::string data(reinterpret_cast<const char*>(v.data()), v.size() * 4);
    write_file(path, npy_file("{'descr': '>i4', 'fortran_order': False, 'shape': (" +
                                  std::to_string(n) + ",), }",
                              reversed_each(data, 4)));
    array big = load(path, device);
    EXPECT_EQ(big.primitive().device(), device);
    array want = subtract(multiply(arange(n, int32), array(7)), array(1000));
    EXPECT_TRUE(array_equal(big, want).item<bool>());
  }
  // A file shortened after loading fails on evaluation, on every device.
  save(path, arange(100, float32));
  array cut = load(path, device);
  ::truncate(path.c_str(), 200);
  EXPECT_THROW_MSG(cut.eval(), std::runtime_error, "was the file truncated after it was loaded?");
  std::remove(path.c_str());
  // .npz members (stored and deflated: read in one call) and safetensors.
  std::unordered_map<std::string, array> m{
      {"x", random::normal({64, 33}, float32, 0.0f, 1.0f, random::key(3))},
      {"i", arange(1000, int64)},
      {"h", astype(arange(77, float32), bfloat16)}};
  for (bool compressed : {false, true}) {
    SCOPED_TRACE(compressed ? "compressed" : "stored");
    auto zpath = tmp(compressed ? "devc" : "devs");
    if (compressed) {
      savez_compressed(zpath, m);
    } else {
      savez(zpath, m);
    }
    auto back = load_npz(zpath + ".npz", device);
    for (auto& [k, a] : m) {
      SCOPED_TRACE(k);
      EXPECT_EQ(back.at(k).primitive().device(), device);
      EXPECT_EQ(raw_bytes(back.at(k)), raw_bytes(a));
    }
    std::remove((zpath + ".npz").c_str());
  }
  auto spath = tmp("dev.safetensors");
  save_safetensors(spath, m);
  auto [st, meta] = load_safetensors(spath, device);
  for (auto& [k, a] : m) {
    SCOPED_TRACE(k);
    EXPECT_EQ(raw_bytes(st.at(k)), raw_bytes(a));
  }
  EXPECT_TRUE(allclose(matmul(st.at("x"), transpose(st.at("x")), device),
                       matmul(m.at("x"), transpose(m.at("x"))), 1e-5, 1e-5)
                  .item<bool>());
  std::remove(spath.c_str());
  // Another reader (not a plain file) is read in one call.
  auto w = std::make_shared<StringWriter>();
  save_safetensors(w, m);
  auto r = std::make_shared<CountingReader>(w->buf);
  auto [sr, meta2] = load_safetensors(r, device);
  EXPECT_EQ(raw_bytes(sr.at("i")), raw_bytes(m.at("i")));
}

// ============================ laziness ============================

TEST(IoLazy, NothingIsReadUntilEval) {
  auto path = tmp("lazy.safetensors");
  save_safetensors(path, {{"a", array({1.f, 2.f, 3.f})}, {"b", array({10.f, 20.f})}});
  auto [m, meta] = load_safetensors(path);
  array a = m.at("a"), b = m.at("b");
  EXPECT_FALSE(a.is_available());
  EXPECT_FALSE(b.is_available());
  ASSERT_TRUE(a.has_primitive());
  EXPECT_EQ(a.primitive().name(), "Load");
  EXPECT_EQ(a.primitive().device(), Device(Device::cpu));  // loads run on the CPU by default
  // Change b's bytes in the file after loading: eval reads the new ones.
  // The data buffer ends the file: a (12 bytes; same item size, so name order) then b (8 bytes).
  size_t data_start = read_file(path).size() - 20;
  patch_file(path, data_start + 12, le_bytes<float>({-5.f, -6.f}));
  // Tensor by tensor: evaluating a reads a only.
  a.eval();
  EXPECT_TRUE(a.is_available());
  EXPECT_FALSE(b.is_available());
  EXPECT_ARRAY_EQ(a, std::vector<float>{1, 2, 3}, Shape{3});
  // The file may even be deleted: the arrays keep it open.
  std::remove(path.c_str());
  EXPECT_ARRAY_EQ(b, std::vector<float>{-5, -6}, Shape{2});
}

TEST(IoLazy, ReadsOnlyEachArraysBytes) {
  auto w = std::make_shared<StringWriter>();
  std::unordered_map<std::string, array> m;
  for (int i = 0; i < 8; ++i)
    m.emplace("t" + std::to_string(i), full({1000}, static_cast<float>(i)));
  save_safetensors(w, m);
  auto r = std::make_shared<CountingReader>(w->buf);
  auto [loaded, meta] = load_safetensors(r);
  size_t after_header = r->bytes_read;
  EXPECT_LT(after_header, 1000u);  // the header only
  EXPECT_ARRAY_CLOSE(sum(loaded.at("t3")), std::vector<double>{3000.0}, Shape{});
  EXPECT_EQ(r->bytes_read, after_header + 4000);  // exactly one tensor
}

TEST(IoLazy, CheckpointLargerThanTheMemoryLimitLoadsTensorByTensor) {
  // 8 tensors of 1 MiB under a limit of 3 MiB more than what is in use now: loading reads only
  // the header, and evaluating one tensor at a time (dropping each after use) never needs more.
  auto path = tmp("big.safetensors");
  {
    std::unordered_map<std::string, array> m;
    for (int i = 0; i < 8; ++i)
      m.emplace("t" + std::to_string(i), full({1 << 18}, static_cast<float>(i)));
    save_safetensors(path, m);
  }
  clear_cache();
  size_t old_limit = set_memory_limit(get_active_memory() + (3u << 20));
  double total = 0;
  try {
    auto [m, meta] = load_safetensors(path);
    for (int i = 0; i < 8; ++i) {
      auto it = m.find("t" + std::to_string(i));
      total += sum(it->second).item<float>();
      m.erase(it);  // drop the tensor and its data
    }
  } catch (...) {
    set_memory_limit(old_limit);
    throw;
  }
  set_memory_limit(old_limit);
  EXPECT_EQ(total, 28.0 * (1 << 18));
  std::remove(path.c_str());
}

TEST(IoLazy, FileShortenedAfterLoadFailsOnEval) {
  auto path = tmp("short.npy");
  save(path, arange(100, float32));
  array a = load(path);
  ::truncate(path.c_str(), 200);
  EXPECT_THROW_MSG(a.eval(), std::runtime_error, "was the file truncated after it was loaded?");
  std::remove(path.c_str());
}

TEST(IoLazy, LoadedArraysComposeWithTransforms) {
  auto path = tmp("w.npy");
  save(path, array({1.f, 2.f, 3.f}));
  array w = load(path);
  auto g = grad([&](const array& x) { return sum(w * x); });
  EXPECT_ARRAY_EQ(g(array({0.f, 0.f, 0.f})), std::vector<float>{1, 2, 3}, Shape{3});
  array w2 = load(path);
  auto v = vmap([&](const array& x) { return x * w2; });
  EXPECT_ARRAY_EQ(v(ones({2, 3})), std::vector<float>{1, 2, 3, 1, 2, 3}, Shape{2, 3});
  auto [out, tangent] = jvp([&](const array& x) { return x + load(path); }, array({1.f, 1.f, 1.f}),
                            array({1.f, 1.f, 1.f}));
  EXPECT_ARRAY_EQ(out, std::vector<float>{2, 3, 4}, Shape{3});
  EXPECT_ARRAY_EQ(tangent, std::vector<float>{1, 1, 1}, Shape{3});
  std::remove(path.c_str());
}

// ============================ sharded ============================

TEST(IoSharded, LoadsShardsAndIndexFiles) {
  std::string dir = tmp("shards_dir");
  std::string d = dir + "/";
  ::mkdir(dir.c_str(), 0755);
  save_safetensors(d + "model-00001-of-00002.safetensors",
                   {{"embed.weight", array({1.f, 2.f})}, {"layers.0.w", array({3.f})}},
                   {{"format", "pt"}});
  save_safetensors(d + "model-00002-of-00002.safetensors",
                   {{"layers.1.w", array({4.f})}, {"lm_head.weight", array({5, 6}, int32)}});
  write_file(d + "model.safetensors.index.json",
             "{\n  \"metadata\": {\"total_size\": 28},\n  \"weight_map\": {\n"
             "    \"embed.weight\": \"model-00001-of-00002.safetensors\",\n"
             "    \"layers.0.w\": \"model-00001-of-00002.safetensors\",\n"
             "    \"layers.1.w\": \"model-00002-of-00002.safetensors\",\n"
             "    \"lm_head.weight\": \"model-00002-of-00002.safetensors\"\n  }\n}\n");
  auto [m, meta] = load_safetensors_index(d + "model.safetensors.index.json");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(meta.at("total_size"), "28");
  EXPECT_EQ(meta.at("format"), "pt");
  for (auto& [k, a] : m)
    EXPECT_FALSE(a.is_available()) << k;
  EXPECT_ARRAY_EQ(m.at("lm_head.weight"), std::vector<int32_t>{5, 6}, Shape{2});
  EXPECT_ARRAY_EQ(m.at("embed.weight"), std::vector<float>{1, 2}, Shape{2});

  auto [m2, meta2] = load_safetensors_shards(
      {d + "model-00001-of-00002.safetensors", d + "model-00002-of-00002.safetensors"});
  EXPECT_EQ(m2.size(), 4u);
  EXPECT_ARRAY_EQ(m2.at("layers.1.w"), std::vector<float>{4}, Shape{1});
  EXPECT_THROW_MSG(load_safetensors_shards({d + "model-00001-of-00002.safetensors",
                                            d + "model-00001-of-00002.safetensors"}),
                   std::runtime_error, "appears in both");

  write_file(d + "bad.index.json",
             "{\"weight_map\": {\"nope\": \"model-00001-of-00002.safetensors\"}}");
  EXPECT_THROW_MSG(load_safetensors_index(d + "bad.index.json"), std::runtime_error,
                   "Tensor 'nope' is listed in");
  write_file(d + "bad.index.json", "{\"weight_map\": {\"x\": \"missing.safetensors\"}}");
  EXPECT_THROW_MSG(load_safetensors_index(d + "bad.index.json"), std::runtime_error,
                   "[load_safetensors_index] Failed to open file");
  write_file(d + "bad.index.json", "{\"weights\": {}}");
  EXPECT_THROW_MSG(load_safetensors_index(d + "bad.index.json"), std::runtime_error,
                   "no \"weight_map\"");
  for (auto f : {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                 "model.safetensors.index.json", "bad.index.json"})
    std::remove((d + f).c_str());
  ::rmdir(dir.c_str());
}

// ============================ nn files ============================

TEST(IoNn, WeightsAndOptimizerStateByExtension) {
  for (std::string ext : {".safetensors", ".npz", ".tdw"}) {
    SCOPED_TRACE(ext);
    random::seed(3);
    nn::Linear a(4, 3);
    random::seed(4);
    nn::Linear b(4, 3);
    auto path = tmp("weights" + ext);
    a.save_weights(path);
    if (ext == ".safetensors") EXPECT_EQ(load_safetensors(path).first.size(), 2u);
    if (ext == ".npz") EXPECT_EQ(load_npz(path).size(), 2u);
    b.load_weights(path);
    auto pa = a.parameters().flatten(), pb = b.parameters().flatten();
    ASSERT_EQ(pa.size(), pb.size());
    for (size_t i = 0; i < pa.size(); ++i)
      EXPECT_EQ(raw_bytes(pa[i].second), raw_bytes(pb[i].second)) << pa[i].first;

    optimizers::Adam oa(0.1f);
    oa.init(a.parameters());
    oa.update(a, a.parameters());  // any gradient will do
    eval(oa.state().leaves());
    oa.save_state(path);
    optimizers::Adam ob(0.1f);
    ob.load_state(path);
    EXPECT_EQ(ob.step().item<uint64_t>(), 1u);
    auto sa = oa.state().flatten(), sb = ob.state().flatten();
    std::map<std::string, std::string> ma, mb;
    for (auto& [k, v] : sa)
      ma[k] = raw_bytes(v);
    for (auto& [k, v] : sb)
      mb[k] = raw_bytes(v);
    EXPECT_EQ(ma, mb);
    std::remove(path.c_str());
  }
}
