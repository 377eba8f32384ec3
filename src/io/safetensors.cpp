// Copyright © 2026 Tandem authors.
// safetensors (https://github.com/huggingface/safetensors, format description in its README):
// an 8-byte little-endian header length N, N bytes of JSON
//   {"__metadata__": {"key": "value", ...},
//    "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
// then the data buffer; offsets are relative to the buffer's start, tensors are little-endian and
// in C order.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include "io/common.h"
#include "io/json.h"
#include "tandem/transforms.h"

namespace tandem {

namespace {

// The reference implementation's limit on the header size.
constexpr uint64_t kMaxHeader = 100'000'000;

struct StDtype {
  const char* name;
  Dtype dtype;
};
const StDtype kDtypes[] = {
    {"BOOL", bool_},    {"U8", uint8},    {"U16", uint16},  {"U32", uint32},   {"U64", uint64},
    {"I8", int8},       {"I16", int16},   {"I32", int32},   {"I64", int64},    {"F16", float16},
    {"BF16", bfloat16}, {"F32", float32}, {"F64", float64}, {"C64", complex64}};

const char* st_name(Dtype t) {
  for (auto& d : kDtypes)
    if (d.dtype == t) return d.name;
  throw std::invalid_argument("[save_safetensors] Unsupported dtype " + dtype_name(t) + ".");
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::shared_ptr<io::FileReader> open_reader(const std::string& file, const std::string& op) {
  auto r = std::make_shared<io::FileReader>(file);
  if (!r->is_open())
    throw std::runtime_error(op + " Failed to open file " + file + ": " + r->error() + ".");
  return r;
}

std::string read_text_file(const std::string& file, const std::string& op) {
  auto r = open_reader(file, op);
  uint64_t n = r->size();
  if (n > kMaxHeader) throw std::runtime_error(op + " " + r->label() + " is too large.");
  std::string s(n, '\0');
  if (n) r->read(s.data(), n, 0);
  return s;
}

// A metadata value as a string: strings as-is, other scalars as their JSON text.
std::string scalar_text(const io::json::Value& v) {
  switch (v.kind) {
    case io::json::Value::Kind::string:
    case io::json::Value::Kind::number:
      return v.text;
    case io::json::Value::Kind::boolean:
      return v.boolean ? "true" : "false";
    case io::json::Value::Kind::null:
      return "null";
    default:
      return "";
  }
}

SafetensorsLoad load_impl(const std::shared_ptr<io::Reader>& in, Stream s, const std::string& op) {
  const std::string where = in->label();
  if (!in->is_open() || !in->good())
    throw std::runtime_error(op + " Failed to open " + where + ".");
  uint64_t base = in->tell();
  uint64_t size = io::detail::reader_size(*in);
  uint64_t avail = size > base ? size - base : 0;
  if (avail < 8) {
    throw std::runtime_error(op + " " + where + " is too short to be a safetensors file (" +
                             std::to_string(avail) + " bytes).");
  }
  unsigned char len_bytes[8];
  in->read(reinterpret_cast<char*>(len_bytes), 8, base);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | len_bytes[i];
  if (n == 0 || n >= kMaxHeader) {
    throw std::runtime_error(op + " Invalid header length " + std::to_string(n) + " in " + where +
                             " (not a safetensors file?).");
  }
  if (n > avail - 8) {
    throw std::runtime_error(op + " The header length " + std::to_string(n) + " of " + where +
                             " runs past the end of the file (" + std::to_string(size) +
                             " bytes): the file is truncated or not a safetensors file.");
  }
  std::string text(n, '\0');
  in->read(text.data(), n, base + 8);
  io::json::Value header = io::json::parse(text, op + " " + where + ":");
  if (!header.is_object())
    throw std::runtime_error(op + " The header of " + where + " is not a JSON object.");
  const uint64_t data_start = base + 8 + n;
  const uint64_t data_size = avail - 8 - n;
  const bool swap = !io::detail::kLittleEndianHost;

  SafetensorsLoad out;
  for (auto& [name, v] : header.members) {
    if (name == "__metadata__") {
      if (!v.is_object())
        throw std::runtime_error(op + " \"__metadata__\" in " + where + " is not an object.");
      for (auto& [k, mv] : v.members) {
        if (!mv.is_string()) {
          throw std::runtime_error(op + " Metadata value \"" + k + "\" in " + where +
                                   " is not a string.");
        }
        out.second.emplace(k, mv.text);
      }
      continue;
    }
    const std::string what = "tensor '" + name + "' in " + where;
    if (!v.is_object())
      throw std::runtime_error(op + " The entry of " + what + " is not an object.");
    const auto* dt = v.find("dtype");
    const auto* sh = v.find("shape");
    const auto* off = v.find("data_offsets");
    if (!dt || !sh || !off) {
      throw std::runtime_error(op + " The entry of " + what +
                               " needs \"dtype\", \"shape\" and \"data_offsets\".");
    }
    if (!dt->is_string())
      throw std::runtime_error(op + " The dtype of " + what + " is not a string.");
    const StDtype* found = nullptr;
    for (auto& d : kDtypes)
      if (dt->text == d.name) found = &d;
    if (!found) {
      throw std::runtime_error(op + " Unknown dtype '" + dt->text + "' of " + what +
                               " (supported: BOOL, U8, U16, U32, U64, I8, I16, I32, I64, F16, "
                               "BF16, F32, F64, C64).");
    }
    if (!sh->is_array())
      throw std::runtime_error(op + " The shape of " + what + " is not an array.");
    if (sh->elements.size() > 64)
      throw std::runtime_error(op + " The shape of " + what + " has too many dimensions.");
    std::vector<uint64_t> dims;
    for (auto& e : sh->elements)
      dims.push_back(e.as_uint64(op + " Each extent of the shape of " + what));
    if (!off->is_array() || off->elements.size() != 2)
      throw std::runtime_error(op + " The data_offsets of " + what + " must be [begin, end].");
    uint64_t b = off->elements[0].as_uint64(op + " The data_offsets of " + what);
    uint64_t e = off->elements[1].as_uint64(op + " The data_offsets of " + what);
    if (b > e) throw std::runtime_error(op + " The data_offsets of " + what + " are reversed.");
    if (e > data_size) {
      throw std::runtime_error(op + " The data_offsets [" + std::to_string(b) + ", " +
                               std::to_string(e) + "] of " + what + " run past the end of its " +
                               std::to_string(data_size) +
                               "-byte data buffer: the file is truncated or corrupt.");
    }
    uint64_t nbytes = io::detail::checked_nbytes(dims, found->dtype.size, op, "The " + what);
    Shape shape;
    for (auto d : dims)
      shape.push_back(static_cast<int32_t>(d));
    if (nbytes != e - b) {
      throw std::runtime_error(op + " The " + what + " has shape " + io::detail::shape_str(shape) +
                               " and dtype " + found->name + " (" + std::to_string(nbytes) +
                               " bytes) but its data_offsets span " + std::to_string(e - b) +
                               " bytes.");
    }
    out.first.emplace(name,
                      io::detail::lazy_load(in, data_start + b, shape, found->dtype, swap, s));
  }
  return out;
}

}  // namespace

SafetensorsLoad load_safetensors(std::shared_ptr<io::Reader> in_stream, StreamOrDevice s) {
  return load_impl(in_stream, io::detail::load_stream(s), "[load_safetensors]");
}

SafetensorsLoad load_safetensors(const std::string& file, StreamOrDevice s) {
  const std::string op = "[load_safetensors]";
  return load_impl(open_reader(file, op), io::detail::load_stream(s), op);
}

void save_safetensors(std::shared_ptr<io::Writer> out,
                      std::unordered_map<std::string, array> arrays,
                      std::unordered_map<std::string, std::string> metadata) {
  if (!out->is_open() || !out->good()) {
    std::string why;
    if (auto* f = dynamic_cast<io::FileWriter*>(out.get()); f && !f->error().empty())
      why = ": " + f->error();
    throw std::runtime_error("[save_safetensors] Failed to open " + out->label() + why + ".");
  }
  // Data order: larger items first, then by name, so every tensor is aligned to its item size.
  std::vector<std::pair<std::string, array>> order;
  for (auto& [k, a] : arrays) {
    if (k == "__metadata__")
      throw std::invalid_argument("[save_safetensors] \"__metadata__\" cannot name a tensor.");
    st_name(a.dtype());  // throws for unsupported dtypes before anything is written
    order.emplace_back(k, a);
  }
  std::sort(order.begin(), order.end(), [](auto& x, auto& y) {
    if (x.second.itemsize() != y.second.itemsize())
      return x.second.itemsize() > y.second.itemsize();
    return x.first < y.first;
  });
  std::string h = "{";
  if (!metadata.empty()) {
    std::map<std::string, std::string> sorted(metadata.begin(), metadata.end());
    h += "\"__metadata__\":{";
    bool first = true;
    for (auto& [k, v] : sorted) {
      if (!first) h += ',';
      h += io::json::quote(k);
      h += ':';
      h += io::json::quote(v);
      first = false;
    }
    h += "}";
  }
  uint64_t offset = 0;
  for (auto& [name, a] : order) {
    if (h.size() > 1) h += ",";
    h += io::json::quote(name) + ":{\"dtype\":\"" + st_name(a.dtype()) + "\",\"shape\":[";
    for (int i = 0; i < a.ndim(); ++i) {
      if (i) h += ',';
      h += std::to_string(a.shape(i));
    }
    h += "],\"data_offsets\":[" + std::to_string(offset) + "," +
         std::to_string(offset + a.nbytes()) + "]}";
    offset += a.nbytes();
  }
  h += "}";
  h += std::string((8 - h.size() % 8) % 8, ' ');
  std::string len;
  for (int i = 0; i < 8; ++i)
    len += static_cast<char>((static_cast<uint64_t>(h.size()) >> (8 * i)) & 0xFF);
  out->write(len.data(), len.size());
  out->write(h.data(), h.size());
  for (auto& [name, a0] : order) {
    // One array at a time, so converting lazily loaded arrays needs one in memory at once.
    array a = contiguous(a0);
    a.eval();
    if (!a.nbytes()) continue;
    if (io::detail::kLittleEndianHost) {
      out->write(a.data<char>(), a.nbytes());
    } else {
      std::vector<char> buf(a.data<char>(), a.data<char>() + a.nbytes());
      size_t w = a.dtype() == complex64 ? 4 : a.itemsize();
      for (size_t i = 0; w > 1 && i < buf.size(); i += w)
        std::reverse(buf.begin() + i, buf.begin() + i + w);
      out->write(buf.data(), buf.size());
    }
  }
}

void save_safetensors(std::string file, std::unordered_map<std::string, array> arrays,
                      std::unordered_map<std::string, std::string> metadata) {
  if (!ends_with(file, ".safetensors")) file += ".safetensors";
  save_safetensors(std::make_shared<io::FileWriter>(std::move(file)), std::move(arrays),
                   std::move(metadata));
}

// ---------------- sharded checkpoints ----------------

SafetensorsLoad load_safetensors_shards(const std::vector<std::string>& files, StreamOrDevice s) {
  const std::string op = "[load_safetensors_shards]";
  Stream st = io::detail::load_stream(s);
  SafetensorsLoad out;
  std::unordered_map<std::string, std::string> origin;
  for (auto& f : files) {
    auto [arrays, meta] = load_impl(open_reader(f, op), st, op);
    for (auto& [k, a] : arrays) {
      auto [it, inserted] = origin.emplace(k, f);
      if (!inserted) {
        throw std::runtime_error(op + " Tensor '" + k + "' appears in both " + it->second +
                                 " and " + f + ".");
      }
      out.first.emplace(k, a);
    }
    for (auto& [k, v] : meta)
      out.second.emplace(k, v);
  }
  return out;
}

SafetensorsLoad load_safetensors_index(const std::string& index_file, StreamOrDevice s) {
  const std::string op = "[load_safetensors_index]";
  Stream st = io::detail::load_stream(s);
  io::json::Value index =
      io::json::parse(read_text_file(index_file, op), op + " " + index_file + ":");
  const io::json::Value* map = index.is_object() ? index.find("weight_map") : nullptr;
  if (!map || !map->is_object()) {
    throw std::runtime_error(op + " " + index_file +
                             " has no \"weight_map\" object (not a sharded-checkpoint index?).");
  }
  std::filesystem::path dir = std::filesystem::path(index_file).parent_path();
  // Shards in order of first mention; each is opened once.
  std::vector<std::string> shards;
  std::map<std::string, SafetensorsLoad> loaded;
  SafetensorsLoad out;
  for (auto& [tensor, file] : map->members) {
    if (!file.is_string()) {
      throw std::runtime_error(op + " The shard of tensor '" + tensor + "' in " + index_file +
                               " is not a string.");
    }
    auto it = loaded.find(file.text);
    if (it == loaded.end()) {
      std::string path = (dir / file.text).string();
      it = loaded.emplace(file.text, load_impl(open_reader(path, op), st, op)).first;
      for (auto& [k, v] : it->second.second)
        out.second.emplace(k, v);
    }
    auto a = it->second.first.find(tensor);
    if (a == it->second.first.end()) {
      throw std::runtime_error(op + " Tensor '" + tensor + "' is listed in " + index_file +
                               " under shard " + file.text + " but that shard does not hold it.");
    }
    out.first.emplace(tensor, a->second);
  }
  if (const auto* meta = index.find("metadata"); meta && meta->is_object()) {
    for (auto& [k, v] : meta->members)
      if (!v.is_object() && !v.is_array()) out.second.insert_or_assign(k, scalar_text(v));
  }
  return out;
}

}  // namespace tandem
