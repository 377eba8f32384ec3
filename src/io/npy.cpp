// Copyright © 2026 Tandem authors.
// NumPy .npy (format versions 1.0-3.0, numpy/lib/format.py's documentation) and .npz (a ZIP of
// .npy members).
//
// .npy layout: the magic "\x93NUMPY", major and minor version bytes, the header length (uint16
// little-endian in version 1, uint32 in versions 2 and 3), then the header: a Python dict literal
// {'descr': <dtype string>, 'fortran_order': <bool>, 'shape': <tuple>} padded with spaces and a
// final '\n' so the data starts at a multiple of 64 bytes. The data follows, C or Fortran order.
#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>

#include "io/common.h"
#include "io/zip.h"
#include "tandem/transforms.h"

namespace tandem {

namespace {

using io::detail::kLittleEndianHost;

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kAlign = 64;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// ---------------- dtype strings ----------------

std::string descr_of(Dtype t) {
  const char order = t.size == 1 ? '|' : (kLittleEndianHost ? '<' : '>');
  char kind;
  switch (kindof(t)) {
    case Dtype::Kind::b:
      kind = 'b';
      break;
    case Dtype::Kind::u:
      kind = 'u';
      break;
    case Dtype::Kind::i:
      kind = 'i';
      break;
    case Dtype::Kind::f:
      kind = 'f';
      break;
    case Dtype::Kind::c:
      kind = 'c';
      break;
    default:
      kind = 'V';  // bfloat16: no NumPy type; MLX writes it as 2-byte void
  }
  if (t == bfloat16) kind = 'V';
  return std::string(1, order) + kind + std::to_string(t.size);
}

struct Descr {
  Dtype dtype{float32};
  bool swap{false};
};

Descr parse_descr(const std::string& d, const std::string& op, const std::string& where) {
  auto bad = [&](const std::string& why) -> Descr {
    throw std::runtime_error(op + " Unsupported dtype '" + d + "' in " + where + why + ".");
  };
  std::string s = d;
  char order = '=';
  if (!s.empty() && (s[0] == '<' || s[0] == '>' || s[0] == '=' || s[0] == '|')) {
    order = s[0];
    s = s.substr(1);
  }
  if (s == "?") s = "b1";
  if (s.size() < 2 || s.size() > 3) return bad("");
  char kind = s[0];
  int size = 0;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return bad("");
    size = size * 10 + (s[i] - '0');
  }
  Descr r;
  if (kind == 'b' && size == 1) {
    r.dtype = bool_;
  } else if (kind == 'u' || kind == 'i') {
    static const Dtype us[] = {uint8, uint16, uint32, uint64};
    static const Dtype is[] = {int8, int16, int32, int64};
    int k = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : size == 8 ? 3 : -1;
    if (k < 0) return bad("");
    r.dtype = kind == 'u' ? us[k] : is[k];
  } else if (kind == 'f' && (size == 2 || size == 4 || size == 8)) {
    r.dtype = size == 2 ? float16 : size == 4 ? float32 : float64;
  } else if (kind == 'c' && size == 8) {
    r.dtype = complex64;
  } else if (kind == 'c' && size == 16) {
    return bad(" (complex128 has no Tandem dtype; convert it to complex64 first)");
  } else if (kind == 'V' && size == 2) {
    r.dtype = bfloat16;  // MLX's encoding of bfloat16
  } else {
    return bad("");
  }
  bool file_little = order == '<' || (order != '>' && kLittleEndianHost);
  r.swap = r.dtype.size > 1 && file_little != kLittleEndianHost;
  return r;
}

// ---------------- header text ----------------

std::string header_dict(const array& a) {
  std::string h = "{'descr': '" + descr_of(a.dtype()) + "', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < a.ndim(); ++i) {
    if (i) h += ", ";
    h += std::to_string(a.shape(i));
  }
  if (a.ndim() == 1) h += ",";
  h += "), }";
  // numpy.save leaves room to grow the first extent in place up to 21 digits.
  if (a.ndim() > 0) h += std::string(21 - std::to_string(a.shape(0)).size(), ' ');
  return h;
}

// The full preamble + header, exactly as numpy.save writes it.
std::string npy_header(const array& a) {
  std::string dict = header_dict(a);
  size_t hlen = dict.size() + 1;  // with the final '\n'
  for (int version : {1, 2}) {
    size_t prefix = kMagicLen + 2 + (version == 1 ? 2 : 4);
    size_t pad = kAlign - (prefix + hlen) % kAlign;
    size_t total = hlen + pad;
    if (version == 1 && total > 0xFFFF) continue;
    std::string out(kMagic, kMagicLen);
    out += static_cast<char>(version);
    out += '\0';
    for (size_t i = 0; i < (version == 1 ? 2u : 4u); ++i)
      out += static_cast<char>((total >> (8 * i)) & 0xFF);
    out += dict;
    out += std::string(pad, ' ');
    out += '\n';
    return out;
  }
  throw std::invalid_argument("[save] Header too large.");
}

// A parser for the header's Python dict literal.
struct HeaderParser {
  const std::string& s;
  size_t i{0};
  const std::string& op;
  const std::string& where;

  [[noreturn]] void fail(const std::string& why) {
    throw std::runtime_error(op + " Invalid .npy header in " + where + ": " + why +
                             " (header: " + s.substr(0, 200) + ").");
  }
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
      ++i;
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  std::string str() {
    ws();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) fail("expected a string");
    char q = s[i++];
    size_t start = i;
    while (i < s.size() && s[i] != q) {
      if (s[i] == '\\') fail("escapes are not supported");
      ++i;
    }
    if (i >= s.size()) fail("unterminated string");
    return s.substr(start, i++ - start);
  }
  bool boolean() {
    ws();
    if (s.compare(i, 4, "True") == 0) {
      i += 4;
      return true;
    }
    if (s.compare(i, 5, "False") == 0) {
      i += 5;
      return false;
    }
    fail("expected True or False");
  }
  std::vector<uint64_t> tuple() {
    if (!eat('(')) fail("expected a tuple for 'shape'");
    std::vector<uint64_t> dims;
    while (true) {
      if (eat(')')) break;
      ws();
      if (i >= s.size() || s[i] < '0' || s[i] > '9') fail("expected a non-negative integer");
      uint64_t v = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (v > (uint64_t{1} << 40)) fail("extent too large");
        v = v * 10 + (s[i++] - '0');
      }
      if (i < s.size() && s[i] == 'L') ++i;  // Python 2 long
      dims.push_back(v);
      if (dims.size() > 64) fail("too many dimensions");
      if (eat(')')) break;
      if (!eat(',')) fail("expected ',' or ')'");
    }
    return dims;
  }
};

struct NpyHeader {
  Descr descr;
  bool fortran{false};
  std::vector<uint64_t> dims;
  size_t data_offset{0};  // from the reader's start
  uint64_t nbytes{0};
};

NpyHeader read_npy_header(io::Reader& r, const std::string& op) {
  const std::string where = r.label();
  uint64_t base = r.tell();
  uint64_t size = io::detail::reader_size(r);
  uint64_t avail = size > base ? size - base : 0;
  if (avail < kMagicLen + 4)
    throw std::runtime_error(op + " " + where + " is too short to be a .npy file (" +
                             std::to_string(avail) + " bytes).");
  char pre[12];
  r.read(pre, kMagicLen + 4, base);
  if (std::memcmp(pre, kMagic, kMagicLen) != 0)
    throw std::runtime_error(op + " " + where + " is not a .npy file (bad magic).");
  int major = static_cast<unsigned char>(pre[6]);
  if (major < 1 || major > 3) {
    throw std::runtime_error(op + " " + where + " has .npy format version " +
                             std::to_string(major) + "." +
                             std::to_string(static_cast<unsigned char>(pre[7])) +
                             "; versions 1.0 to 3.0 are supported.");
  }
  size_t prefix = kMagicLen + 2 + (major == 1 ? 2 : 4);
  if (avail < prefix)
    throw std::runtime_error(op + " " + where + " ends inside the .npy preamble.");
  if (major > 1) r.read(pre + 10, 2, base + 10);
  const unsigned char* u = reinterpret_cast<const unsigned char*>(pre + 8);
  uint64_t hlen = major == 1
                      ? (u[0] | (u[1] << 8))
                      : (static_cast<uint64_t>(u[0]) | (static_cast<uint64_t>(u[1]) << 8) |
                         (static_cast<uint64_t>(u[2]) << 16) | (static_cast<uint64_t>(u[3]) << 24));
  if (hlen > avail - prefix) {
    throw std::runtime_error(op + " " + where + ": the .npy header length " + std::to_string(hlen) +
                             " runs past the end of the file (" + std::to_string(avail) +
                             " bytes).");
  }
  std::string text(hlen, '\0');
  if (hlen) r.read(text.data(), hlen, base + prefix);
  if (std::memchr(text.data(), '\0', text.size()))
    throw std::runtime_error(op + " Invalid .npy header in " + where + ": it contains NUL bytes.");

  HeaderParser p{text, 0, op, where};
  NpyHeader h;
  bool has_descr = false, has_order = false, has_shape = false;
  if (!p.eat('{')) p.fail("expected '{'");
  while (!p.eat('}')) {
    std::string key = p.str();
    if (!p.eat(':')) p.fail("expected ':'");
    if (key == "descr") {
      p.ws();
      if (p.i < text.size() && text[p.i] == '[')
        throw std::runtime_error(op + " " + where +
                                 " holds a structured array, which is not supported.");
      h.descr = parse_descr(p.str(), op, where);
      has_descr = true;
    } else if (key == "fortran_order") {
      h.fortran = p.boolean();
      has_order = true;
    } else if (key == "shape") {
      h.dims = p.tuple();
      has_shape = true;
    } else {
      p.fail("unexpected key '" + key + "'");
    }
    if (!p.eat(',')) {
      if (!p.eat('}')) p.fail("expected ',' or '}'");
      break;
    }
  }
  if (!has_descr || !has_order || !has_shape)
    p.fail("'descr', 'fortran_order' and 'shape' are all required");
  h.nbytes = io::detail::checked_nbytes(h.dims, h.descr.dtype.size, op, "The array in " + where);
  h.data_offset = base + prefix + hlen;
  if (h.nbytes > size - h.data_offset) {
    throw std::runtime_error(op + " " + where + " is truncated: its array needs " +
                             std::to_string(h.nbytes) + " bytes from byte " +
                             std::to_string(h.data_offset) + " but the file has " +
                             std::to_string(size) + " bytes.");
  }
  return h;
}

array load_npy(const std::shared_ptr<io::Reader>& r, Stream s, const std::string& op) {
  NpyHeader h = read_npy_header(*r, op);
  Shape shape;
  for (auto d : h.dims)
    shape.push_back(static_cast<int32_t>(d));
  if (h.fortran && shape.size() > 1) {
    // Fortran order: the bytes are the C-order array of the reversed shape; transpose it back.
    Shape rev(shape.rbegin(), shape.rend());
    return transpose(io::detail::lazy_load(r, h.data_offset, rev, h.descr.dtype, h.descr.swap, s),
                     s);
  }
  return io::detail::lazy_load(r, h.data_offset, shape, h.descr.dtype, h.descr.swap, s);
}

void check_writer(io::Writer& w, const char* op) {
  if (!w.is_open() || !w.good()) {
    std::string why;
    if (auto* f = dynamic_cast<io::FileWriter*>(&w); f && !f->error().empty())
      why = ": " + f->error();
    throw std::runtime_error(std::string("[") + op + "] Failed to open " + w.label() + why + ".");
  }
}

std::shared_ptr<io::FileReader> open_reader(const std::string& file, const char* op) {
  auto r = std::make_shared<io::FileReader>(file);
  if (!r->is_open()) {
    throw std::runtime_error(std::string("[") + op + "] Failed to open file " + file + ": " +
                             r->error() + ".");
  }
  return r;
}

void savez_impl(const std::shared_ptr<io::Writer>& out,
                const std::unordered_map<std::string, array>& arrays, bool compress,
                const char* op) {
  check_writer(*out, op);
  std::map<std::string, array> sorted;
  for (auto& [k, v] : arrays) {
    if (k.empty()) throw std::invalid_argument(std::string("[") + op + "] Empty array name.");
    sorted.emplace(k, v);
  }
  io::zip::Writer zw(out, compress);
  for (auto& [name, a0] : sorted) {
    // One array at a time, so converting lazily loaded arrays needs one in memory at once.
    array a = contiguous(a0);
    a.eval();
    std::string header = npy_header(a);
    zw.begin_entry(name + ".npy", header.size() + a.nbytes());
    zw.write(header.data(), header.size());
    if (a.nbytes()) zw.write(a.data<char>(), a.nbytes());
    zw.end_entry();
  }
  zw.finish();
}

std::unordered_map<std::string, array> named(const std::vector<array>& arrays) {
  std::unordered_map<std::string, array> m;
  for (size_t i = 0; i < arrays.size(); ++i)
    m.emplace("arr_" + std::to_string(i), arrays[i]);
  return m;
}

std::string with_npz(std::string file) {
  if (!ends_with(file, ".npz")) file += ".npz";
  return file;
}

}  // namespace

// ---------------- .npy ----------------

void save(std::shared_ptr<io::Writer> out_stream, array a) {
  check_writer(*out_stream, "save");
  a = contiguous(a);
  a.eval();
  std::string header = npy_header(a);
  out_stream->write(header.data(), header.size());
  if (a.nbytes()) out_stream->write(a.data<char>(), a.nbytes());
}

void save(std::string file, array a) {
  if (!ends_with(file, ".npy")) file += ".npy";
  save(std::make_shared<io::FileWriter>(std::move(file)), std::move(a));
}

array load(std::shared_ptr<io::Reader> in_stream, StreamOrDevice s) {
  if (!in_stream->is_open() || !in_stream->good())
    throw std::runtime_error("[load] Failed to open " + in_stream->label() + ".");
  return load_npy(in_stream, io::detail::load_stream(s), "[load]");
}

array load(std::string file, StreamOrDevice s) {
  if (ends_with(file, ".npz"))
    throw std::invalid_argument("[load] '" + file + "' is a .npz archive: use load_npz.");
  if (ends_with(file, ".safetensors")) {
    throw std::invalid_argument("[load] '" + file +
                                "' is a safetensors file: use load_safetensors.");
  }
  return load_npy(open_reader(file, "load"), io::detail::load_stream(s), "[load]");
}

// ---------------- .npz ----------------

void savez(std::shared_ptr<io::Writer> out_stream,
           const std::unordered_map<std::string, array>& arrays) {
  savez_impl(out_stream, arrays, false, "savez");
}
void savez(std::string file, const std::unordered_map<std::string, array>& arrays) {
  savez_impl(std::make_shared<io::FileWriter>(with_npz(std::move(file))), arrays, false, "savez");
}
void savez(std::string file, const std::vector<array>& arrays) {
  savez(std::move(file), named(arrays));
}
void savez_compressed(std::shared_ptr<io::Writer> out_stream,
                      const std::unordered_map<std::string, array>& arrays) {
  savez_impl(out_stream, arrays, true, "savez_compressed");
}
void savez_compressed(std::string file, const std::unordered_map<std::string, array>& arrays) {
  savez_impl(std::make_shared<io::FileWriter>(with_npz(std::move(file))), arrays, true,
             "savez_compressed");
}
void savez_compressed(std::string file, const std::vector<array>& arrays) {
  savez_compressed(std::move(file), named(arrays));
}

std::unordered_map<std::string, array> load_npz(const std::string& file, StreamOrDevice s) {
  const std::string op = "[load_npz]";
  auto reader = open_reader(file, "load_npz");
  Stream st = io::detail::load_stream(s);
  auto entries = io::zip::read_directory(*reader, reader->size(), op);
  std::unordered_map<std::string, array> out;
  for (auto& e : entries) {
    if (!ends_with(e.name, ".npy")) continue;
    std::string name = e.name.substr(0, e.name.size() - 4);
    if (out.count(name))
      throw std::runtime_error(op + " " + reader->label() + " holds '" + e.name + "' twice.");
    out.emplace(name, load_npy(io::zip::open_entry(reader, e, op), st, op));
  }
  return out;
}

}  // namespace tandem
