// Copyright © 2026 Tandem authors.
// Quantization and Hadamard op functions: argument checks and dtype rules (MLX's), then Quantize /
// Dequantize / QuantizedMatmul / Hadamard nodes.
#include <cmath>
#include <sstream>

#include "ops/ops_common.h"
#include "primitives/quantized.h"
#include "tandem/ops_quantized.h"

namespace tandem {

using detail::fail;

// ---------------- primitive names, equivalence and output shapes ----------------

namespace {

std::string params(int group_size, int bits) {
  return "group_size=" + std::to_string(group_size) + ", bits=" + std::to_string(bits);
}

}  // namespace

std::string Quantize::name() const {
  return "Quantize(" + params(group_size_, bits_) + ")";
}
std::string Dequantize::name() const {
  return "Dequantize(" + params(group_size_, bits_) + ")";
}
std::string QuantizedMatmul::name() const {
  return "QuantizedMatmul(" + params(group_size_, bits_) +
         (transpose_ ? ", transpose)" : ", no transpose)");
}
std::string Hadamard::name() const {
  std::ostringstream os;
  os << "Hadamard(scale=" << scale_ << (transposed_ ? ", transposed)" : ")");
  return os.str();
}

bool Quantize::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Quantize*>(&other);
  return o && o->group_size_ == group_size_ && o->bits_ == bits_;
}
bool Dequantize::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Dequantize*>(&other);
  return o && o->group_size_ == group_size_ && o->bits_ == bits_;
}
bool QuantizedMatmul::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const QuantizedMatmul*>(&other);
  return o && o->group_size_ == group_size_ && o->bits_ == bits_ && o->transpose_ == transpose_;
}
bool Hadamard::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Hadamard*>(&other);
  return o && o->scale_ == scale_ && o->transposed_ == transposed_;
}

std::vector<Shape> Quantize::output_shapes(const std::vector<array>& inputs) {
  Shape wq = inputs[0].shape(), sc = inputs[0].shape();
  wq.back() = wq.back() * bits_ / 32;
  sc.back() = sc.back() / group_size_;
  return {wq, sc, sc};
}

std::vector<Shape> Dequantize::output_shapes(const std::vector<array>& inputs) {
  Shape out = inputs[0].shape();
  out.back() = out.back() * 32 / bits_;
  return {out};
}

std::vector<Shape> QuantizedMatmul::output_shapes(const std::vector<array>& inputs) {
  const array& w = inputs[1];
  int n = transpose_ ? w.shape(-2) : w.shape(-1) * 32 / bits_;
  Shape out = inputs[0].shape();
  out.back() = n;
  return {out};
}

// ---------------- Hadamard matrices ----------------

namespace {

// Rows of Sloane's H_12, H_20 and H_28 (neilsloane.com/hadamard; the matrices MLX uses, so that
// transforms of non-power-of-two sizes agree). Bit c of row r is set where the entry is -1.
constexpr uint32_t kH12[12] = {0x2,   0xaab, 0x3c8, 0x96e, 0xf20, 0x5ba,
                               0xc8c, 0x6e6, 0x23c, 0xb96, 0x8f0, 0xe5a};
constexpr uint32_t kH20[20] = {0x933de, 0x2e3bd, 0x5477b, 0xa0ef7, 0x499ef, 0x637c1, 0xc6ba2,
                               0x8d764, 0x1aee8, 0x359f0, 0x0fa53, 0x174a7, 0x26d4e, 0x45e9c,
                               0x83d39, 0xf7a6d, 0xef4fa, 0xdedd5, 0xbdf8b, 0x7bf36};
constexpr uint32_t kH28[28] = {0xcd69e7e, 0x9ad7c7d, 0x37ab8fb, 0x6d571f7, 0xd8ae3ef, 0xb3587df,
                               0x66b4f3f, 0xb467f43, 0x6acbe87, 0xd593d8e, 0xab27b9c, 0x564f7b8,
                               0xac9aff0, 0x5b31fe1, 0x87fb325, 0x0ff66ca, 0x1decd95, 0x39ddb2a,
                               0x71bf654, 0xe17eca9, 0xc2fd9d2, 0xfcf1299, 0xfbe2532, 0xf7c4ae4,
                               0xef8d549, 0xdf1ea13, 0xbe3d4a6, 0x7e7a94c};

constexpr int kMaxHadamardLog2 = 26;  // as MLX: n = m * 2^k with k <= 26

bool is_pow2(int n) {
  return n > 0 && (n & (n - 1)) == 0;
}

}  // namespace

uint32_t detail::hadamard_row_mask(int m, int r) {
  switch (m) {
    case 12:
      return kH12[r];
    case 20:
      return kH20[r];
    case 28:
      return kH28[r];
  }
  throw std::logic_error("[hadamard] No Hadamard matrix of order " + std::to_string(m) + ".");
}

std::pair<int, int> detail::hadamard_decompose(int n) {
  for (int m : {1, 12, 20, 28}) {
    if (n % m == 0 && is_pow2(n / m) && n / m <= (1 << kMaxHadamardLog2)) return {m, n / m};
  }
  return {0, 0};
}

array detail::hadamard(const array& a, double scale, bool transposed, StreamOrDevice s) {
  return detail::make<Hadamard>(a.shape(), a.dtype(), {a}, to_stream(s), scale, transposed);
}

array hadamard_transform(const array& a, std::optional<float> scale, StreamOrDevice s) {
  const char* op = "hadamard_transform";
  if (a.size() == 0) fail(op, "Does not support empty arrays.");
  if (a.dtype() == complex64) fail(op, "Not supported for complex64.");
  int n = a.ndim() > 0 ? a.shape(-1) : 1;
  double sc = scale ? static_cast<double>(*scale) : 1.0 / std::sqrt(static_cast<double>(n));
  Dtype t = is_floating_point(a.dtype()) ? a.dtype() : float32;
  array x = astype(a, t, s);
  if (n == 1) return sc == 1.0 ? x : multiply(x, array(sc, t), s);
  if (detail::hadamard_decompose(n).first == 0) {
    fail(op, "Only supports n = m*2^k with m in (1, 12, 20, 28) and k <= " +
                 std::to_string(kMaxHadamardLog2) + "; the last axis of shape " +
                 shape_to_string(a.shape()) + " has n = " + std::to_string(n) + ".");
  }
  return detail::hadamard(x, sc, false, s);
}

// ---------------- quantization ----------------

namespace {

void check_params(const char* op, int group_size, int bits) {
  if (group_size != 32 && group_size != 64 && group_size != 128) {
    fail(op, "The requested group size " + std::to_string(group_size) +
                 " is not supported. The supported group sizes are 32, 64 and 128.");
  }
  if (bits < 2 || bits > 8 || bits == 7) {
    fail(op, "The requested number of bits " + std::to_string(bits) +
                 " is not supported. The supported bits are 2, 3, 4, 5, 6 and 8.");
  }
}

// float32, float16 or bfloat16 (the types the kernels compute with), else "[op] ...".
void check_float_type(const char* op, Dtype t, const std::string& what) {
  if (t != float32 && t != float16 && t != bfloat16) {
    fail(op, "Only float32, float16 and bfloat16 are supported but " + what + " is " +
                 dtype_name(t) + ".");
  }
}

// w_q / scales / biases consistency (as MLX's validate_quantized_input); returns the number of
// elements per row of the dequantized matrix.
int check_quantized(const char* op, const array& w, const array& scales, const array& biases,
                    int group_size, int bits) {
  if (w.dtype() != uint32) {
    fail(op, "The quantized matrix should be uint32 but received " + dtype_name(w.dtype()) + ".");
  }
  if (w.ndim() < 2) {
    fail(op, "The quantized matrix must have at least 2 dimensions but it has shape " +
                 shape_to_string(w.shape()) + ".");
  }
  if (scales.shape() != biases.shape()) {
    fail(op, "Scales and biases should have the same shape. Received scales with shape " +
                 shape_to_string(scales.shape()) + " and biases with shape " +
                 shape_to_string(biases.shape()) + ".");
  }
  bool same_lead = scales.ndim() == w.ndim();
  for (int d = 0; same_lead && d + 1 < w.ndim(); ++d)
    same_lead = w.shape(d) == scales.shape(d);
  int64_t kw = w.shape(-1);
  int64_t cols = kw * 32 / bits;
  if (!same_lead || (kw * 32) % bits != 0 || cols != int64_t(scales.shape(-1)) * group_size) {
    fail(op, "The shapes of the quantized matrix and the scales are incompatible. w_q.shape == " +
                 shape_to_string(w.shape()) + " and scales.shape == " +
                 shape_to_string(scales.shape()) + " with " + params(group_size, bits) + ".");
  }
  check_float_type(op, promote_types(scales.dtype(), biases.dtype()), "the scales/biases dtype");
  return static_cast<int>(cols);
}

Shape with_last2(const Shape& batch, int a, int b) {
  Shape s = batch;
  s.push_back(a);
  s.push_back(b);
  return s;
}

}  // namespace

std::vector<array> quantize(const array& w, int group_size, int bits, StreamOrDevice s) {
  const char* op = "quantize";
  check_params(op, group_size, bits);
  if (!is_floating_point(w.dtype())) {
    fail(op,
         "Only real floating types can be quantized but w has type " + dtype_name(w.dtype()) + ".");
  }
  check_float_type(op, w.dtype(), "w");
  if (w.ndim() < 2) {
    fail(op, "The matrix to be quantized must have at least 2 dimensions but it has shape " +
                 shape_to_string(w.shape()) + ".");
  }
  if (w.shape(-1) % group_size != 0) {
    fail(op, "The last dimension of the matrix (" + std::to_string(w.shape(-1)) +
                 ") must be divisible by the quantization group size (" +
                 std::to_string(group_size) + "); the matrix has shape " +
                 shape_to_string(w.shape()) + ".");
  }
  auto prim = std::make_shared<Quantize>(to_stream(s), group_size, bits);
  auto shapes = prim->output_shapes({w});
  return array::make_arrays(std::move(shapes), {uint32, w.dtype(), w.dtype()}, prim, {w});
}

array dequantize(const array& w_q, const array& scales, const array& biases, int group_size,
                 int bits, StreamOrDevice s) {
  const char* op = "dequantize";
  check_params(op, group_size, bits);
  int cols = check_quantized(op, w_q, scales, biases, group_size, bits);
  Dtype t = promote_types(scales.dtype(), biases.dtype());
  Shape out = w_q.shape();
  out.back() = cols;
  return detail::make<Dequantize>(std::move(out), t,
                                  {w_q, astype(scales, t, s), astype(biases, t, s)}, to_stream(s),
                                  group_size, bits);
}

namespace {
/// The affine-mode checks shared by MLX's forms of the quantization ops.
void check_affine(const char* op, const std::string& mode, bool has_biases, bool has_global) {
  if (mode != "affine") {
    fail(op, "Only the \"affine\" mode is supported; got \"" + mode + "\".");
  }
  if (!has_biases) fail(op, "The affine mode needs biases.");
  if (has_global) fail(op, "global_scale is only used by the nvfp4 mode; pass none.");
}
}  // namespace

std::vector<array> quantize(const array& w, std::optional<int> group_size, std::optional<int> bits,
                            const std::string& mode, const std::optional<array>& global_scale,
                            StreamOrDevice s) {
  check_affine("quantize", mode, true, global_scale.has_value());
  return quantize(w, group_size.value_or(64), bits.value_or(4), s);
}

array dequantize(const array& w_q, const array& scales, const std::optional<array>& biases,
                 std::optional<int> group_size, std::optional<int> bits, const std::string& mode,
                 const std::optional<array>& global_scale, std::optional<Dtype> dtype,
                 StreamOrDevice s) {
  check_affine("dequantize", mode, biases.has_value(), global_scale.has_value());
  if (dtype && !is_floating_point(*dtype)) {
    fail("dequantize", "dtype must be real floating-point; got " + dtype_name(*dtype) + ".");
  }
  array out = dequantize(w_q, scales, *biases, group_size.value_or(64), bits.value_or(4), s);
  return dtype ? astype(out, *dtype, s) : out;
}

array quantized_matmul(const array& x, const array& w_q, const array& scales,
                       const std::optional<array>& biases, bool transpose,
                       std::optional<int> group_size, std::optional<int> bits,
                       const std::string& mode, StreamOrDevice s) {
  check_affine("quantized_matmul", mode, biases.has_value(), false);
  return quantized_matmul(x, w_q, scales, *biases, transpose, group_size.value_or(64),
                          bits.value_or(4), s);
}

array gather_qmm(const array& x, const array& w_q, const array& scales,
                 const std::optional<array>& biases, std::optional<array> lhs_indices,
                 std::optional<array> rhs_indices, bool transpose, std::optional<int> group_size,
                 std::optional<int> bits, const std::string& mode, bool sorted_indices,
                 StreamOrDevice s) {
  const char* op = "gather_qmm";
  check_affine(op, mode, biases.has_value(), false);
  if (!is_floating_point(x.dtype())) {
    fail(op, "x must be real floating-point; got " + dtype_name(x.dtype()) + ".");
  }
  if (w_q.ndim() < 2) {
    fail(op, "The quantized matrix must have at least 2 dimensions; got shape " +
                 shape_to_string(w_q.shape()) + ".");
  }
  array w = dequantize(w_q, scales, *biases, group_size.value_or(64), bits.value_or(4), s);
  if (transpose) w = swapaxes(w, -1, -2, s);
  if (x.ndim() == 0 || x.shape(-1) != w.shape(-2)) {
    fail(op, "Last dimension of x with shape " + shape_to_string(x.shape()) +
                 " does not match the dequantized matrix (" + std::to_string(w.shape(-2)) + ", " +
                 std::to_string(w.shape(-1)) + ").");
  }
  return gather_mm(x, w, std::move(lhs_indices), std::move(rhs_indices), sorted_indices, s);
}

array quantized_matmul(const array& x_in, const array& w_q, const array& scales,
                       const array& biases, bool transpose, int group_size, int bits,
                       StreamOrDevice s) {
  const char* op = "quantized_matmul";
  check_params(op, group_size, bits);
  int cols = check_quantized(op, w_q, scales, biases, group_size, bits);
  if (x_in.ndim() < 1) fail(op, "The first input must have at least 1 dimension; got a scalar.");
  int K = transpose ? cols : w_q.shape(-2);
  int N = transpose ? w_q.shape(-2) : cols;
  if (x_in.shape(-1) != K) {
    fail(op, "Last dimension of first input with shape " + shape_to_string(x_in.shape()) +
                 " does not match the expanded quantized matrix (" + std::to_string(K) + ", " +
                 std::to_string(N) + ") computed from shape " + shape_to_string(w_q.shape()) +
                 " with " + params(group_size, bits) +
                 " and transpose=" + (transpose ? "true" : "false") + ".");
  }
  Dtype t = promote_types(x_in.dtype(), promote_types(scales.dtype(), biases.dtype()));
  check_float_type(op, t, "the result dtype (x promoted with the scales)");
  array x = astype(x_in, t, s), sc = astype(scales, t, s), bi = astype(biases, t, s);
  Stream st = to_stream(s);
  if (w_q.ndim() == 2) {
    Shape out = x.shape();
    out.back() = N;
    return detail::make<QuantizedMatmul>(std::move(out), t, {x, w_q, sc, bi}, st, group_size, bits,
                                         transpose);
  }
  // Batched weights: x (..., M, K) and the quantized matrices broadcast over their batch dims.
  bool vec = x.ndim() == 1;
  if (vec) x = expand_dims(x, 0, s);
  Shape xb(x.shape().begin(), x.shape().end() - 2), wb(w_q.shape().begin(), w_q.shape().end() - 2);
  Shape batch = broadcast_shapes(xb, wb);
  int M = x.shape(-2);
  x = broadcast_to(x, with_last2(batch, M, K), s);
  array w = broadcast_to(w_q, with_last2(batch, w_q.shape(-2), w_q.shape(-1)), s);
  sc = broadcast_to(sc, with_last2(batch, sc.shape(-2), sc.shape(-1)), s);
  bi = broadcast_to(bi, with_last2(batch, bi.shape(-2), bi.shape(-1)), s);
  array out = detail::make<QuantizedMatmul>(with_last2(batch, M, N), t, {x, w, sc, bi}, st,
                                            group_size, bits, transpose);
  return vec ? squeeze(out, -2, s) : out;
}

}  // namespace tandem
