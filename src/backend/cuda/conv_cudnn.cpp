// Copyright © 2026 Tandem authors.
// Convolution through cuDNN (the legacy API of cuDNN 9: cudnnConvolutionForward with the
// algorithm from cudnnGetConvolutionForwardAlgorithm_v7's heuristics, so no benchmarking runs on
// a first call). conv.cu calls it first and runs its im2col + cuBLAS path when it declines.
//
// Layouts. Tandem's input (N, spatial..., C) is cuDNN's NHWC / NDHWC tensor, its weight
// (O, kernel..., C / groups) cuDNN's NHWC filter (KRSC / KTRSC), its output (N, spatial..., O) an
// NHWC tensor. Nd descriptors take their dims in NCHW order whatever the layout: tensors
// (N, C, spatial...) with the strides of the channels-last memory, filters (K, C / groups,
// kernel...) with format CUDNN_TENSOR_NHWC. A 1-d convolution is a 2-d one with a unit first
// spatial dim (height 1, kernel 1, stride 1, no padding).
//
// What runs here: 1 to 3 spatial dims, strides, kernel dilation, groups (depthwise included),
// flip (true convolution: CUDNN_CONVOLUTION; Tandem's default cross-correlation:
// CUDNN_CROSS_CORRELATION), padding equal on both sides, or unequal where the high side does not
// change the output size (an output position reads input positions o * stride + k * dilation -
// pad_lo only; the high padding just decides how many outputs there are). float16 / bfloat16
// (float32 accumulation, tensor cores), float32 (no TF32 unless TANDEM_ENABLE_TF32=1, as the
// GEMMs), float64. Declined (im2col runs): input dilation, negative padding (cropping), a high
// padding that changes the output size, more than 3 spatial dims, a sample or a weight over
// 2^31 - 1 elements, problems for which cuDNN offers no algorithm, and a first
// cudnnConvolutionForward answering "not supported" or "bad parameter" (the latter with a word on
// stderr; any other failure is an error). FFT algorithms are never chosen: their rounding error
// grows with the whole signal, not per output, and Tandem promises results within the dtype's
// tolerance of the CPU's.
//
// Batches whose tensors exceed 2^31 - 1 elements run in chunks of samples (cuDNN's legacy
// descriptors hold int dims and strides). Plans (descriptors, algorithm, workspace size) are
// cached per device, dtype, math mode, shapes and parameters in a bounded map; cuDNN's handle is
// per stream (dnn.h). TANDEM_CONV_CUDNN=0 turns this path off; TANDEM_CONV_CUDNN=verbose logs
// each new plan (algorithm, workspace) or the reason a case is declined to stderr.
#include "backend/cuda/conv_cudnn.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "primitives/conv.h"
#include "tandem/utils.h"

#if TANDEM_WITH_CUDNN
#include "backend/cuda/blas.h"
#include "backend/cuda/dnn.h"
#endif

namespace tandem::cuda {

#if TANDEM_WITH_CUDNN

namespace {

// 0: off, 1: on, 2: on and verbose.
int cudnn_mode() {
  static const int mode = [] {
    const char* v = std::getenv("TANDEM_CONV_CUDNN");
    if (!v) return 1;
    if (std::strcmp(v, "0") == 0 || std::strcmp(v, "off") == 0) return 0;
    if (std::strcmp(v, "verbose") == 0 || std::strcmp(v, "2") == 0) return 2;
    return 1;
  }();
  return mode;
}

std::atomic<uint64_t> g_calls{0};
std::atomic<bool> g_broken{false};  // cuDNN failed to initialise: never tried again

// Largest workspace an algorithm may ask for; the heuristics' next choice runs otherwise.
constexpr size_t kMaxWorkspace = size_t(256) << 20;

// Up to 3 spatial dims as cuDNN sees them (a 1-d convolution gets a unit first dim).
struct Geom {
  int sp;  // spatial dims given to cuDNN: 2 or 3
  int n, c, k, groups;
  int in[3], ker[3], out[3], pad[3], stride[3], dil[3];
  bool flip;
};

std::string dims_str(const int* d, int n) {
  std::string s = "(";
  for (int i = 0; i < n; ++i)
    s += std::to_string(d[i]) + (i + 1 < n ? "," : "");
  return s + ")";
}

std::string geom_str(const Geom& g, Dtype t) {
  return "x (N,C,spatial) (" + std::to_string(g.n) + "," + std::to_string(g.c) + "," +
         dims_str(g.in, g.sp) + ") w (K,C/groups,kernel) (" + std::to_string(g.k) + "," +
         std::to_string(g.c / g.groups) + "," + dims_str(g.ker, g.sp) + ") groups " +
         std::to_string(g.groups) + " pad " + dims_str(g.pad, g.sp) + " stride " +
         dims_str(g.stride, g.sp) + " dilation " + dims_str(g.dil, g.sp) +
         (g.flip ? " flipped" : "") + " " + dtype_name(t);
}

// NHWC strides of a tensor with NCHW-order dims (n, c, s[0..sp)).
void nhwc_strides(int sp, int c, const int* s, int* strides) {
  // strides[0] = N, [1] = C, [2 + i] = spatial i.
  int64_t acc = c;
  strides[1] = 1;
  for (int i = sp - 1; i >= 0; --i) {
    strides[2 + i] = static_cast<int>(acc);
    acc *= s[i];
  }
  strides[0] = static_cast<int>(acc);
}

struct Plan {
  cudnnTensorDescriptor_t x{nullptr}, y{nullptr};
  cudnnFilterDescriptor_t w{nullptr};
  cudnnConvolutionDescriptor_t conv{nullptr};
  cudnnConvolutionFwdAlgo_t algo{};
  size_t workspace{0};
  std::atomic<bool> supported{false};
  std::string why;  // unsupported: the reason

  Plan() = default;
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
  ~Plan() {
    if (x) cudnnDestroyTensorDescriptor(x);
    if (y) cudnnDestroyTensorDescriptor(y);
    if (w) cudnnDestroyFilterDescriptor(w);
    if (conv) cudnnDestroyConvolutionDescriptor(conv);
  }
};

struct KeyHash {
  size_t operator()(const std::vector<int>& v) const {
    uint64_t h = 1469598103934665603ull;
    for (int e : v) {
      h ^= static_cast<uint32_t>(e);
      h *= 1099511628211ull;
    }
    return static_cast<size_t>(h);
  }
};

std::mutex g_plans_mutex;
std::unordered_map<std::vector<int>, std::shared_ptr<Plan>, KeyHash>& plans() {
  static auto* m = new std::unordered_map<std::vector<int>, std::shared_ptr<Plan>, KeyHash>();
  return *m;  // never destroyed: plans may be in use while static destructors run
}
constexpr size_t kMaxPlans = 512;

cudnnDataType_t dnn_dtype(Dtype t) {
  if (t == float16) return CUDNN_DATA_HALF;
  if (t == bfloat16) return CUDNN_DATA_BFLOAT16;
  if (t == float64) return CUDNN_DATA_DOUBLE;
  return CUDNN_DATA_FLOAT;
}

const char* algo_name(cudnnConvolutionFwdAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM:
      return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM:
      return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM:
      return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT:
      return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT:
      return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING:
      return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD:
      return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED:
      return "WINOGRAD_NONFUSED";
    default:
      return "?";
  }
}

#define TANDEM_PLAN_TRY(call)                                     \
  do {                                                            \
    if ((st = (call)) != CUDNN_STATUS_SUCCESS) {                  \
      p.why = std::string(#call) + ": " + dnn_status_message(st); \
      return false;                                               \
    }                                                             \
  } while (0)

// The descriptors of one problem (no GPU needed), with the check that cuDNN's output size is
// Tandem's (an internal error otherwise). false, with the reason in p.why, when cuDNN rejects
// a descriptor.
bool set_descriptors(Plan& p, const Geom& g, Dtype t) {
  cudnnStatus_t st;

  const int nd = g.sp + 2;
  const cudnnDataType_t dt = dnn_dtype(t);
  TANDEM_PLAN_TRY(cudnnCreateTensorDescriptor(&p.x));
  TANDEM_PLAN_TRY(cudnnCreateTensorDescriptor(&p.y));
  TANDEM_PLAN_TRY(cudnnCreateFilterDescriptor(&p.w));
  TANDEM_PLAN_TRY(cudnnCreateConvolutionDescriptor(&p.conv));

  int xdims[5], xstr[5], wdims[5];
  xdims[0] = g.n;
  xdims[1] = g.c;
  wdims[0] = g.k;
  wdims[1] = g.c / g.groups;
  for (int i = 0; i < g.sp; ++i) {
    xdims[2 + i] = g.in[i];
    wdims[2 + i] = g.ker[i];
  }
  nhwc_strides(g.sp, g.c, g.in, xstr);
  TANDEM_PLAN_TRY(cudnnSetTensorNdDescriptor(p.x, dt, nd, xdims, xstr));
  TANDEM_PLAN_TRY(cudnnSetFilterNdDescriptor(p.w, dt, CUDNN_TENSOR_NHWC, nd, wdims));
  TANDEM_PLAN_TRY(cudnnSetConvolutionNdDescriptor(
      p.conv, g.sp, g.pad, g.stride, g.dil, g.flip ? CUDNN_CONVOLUTION : CUDNN_CROSS_CORRELATION,
      t == float64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT));
  TANDEM_PLAN_TRY(cudnnSetConvolutionGroupCount(p.conv, g.groups));
  // 16-bit floats: tensor cores. float32: plain FMA unless TF32 is allowed (then cuDNN's
  // default, which uses TF32 tensor cores on Ampere and newer). float64: the default.
  const bool f32 = t == float32;
  const bool tf32 = f32 && tf32_enabled();
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
  if (t == float16 || t == bfloat16) math = CUDNN_TENSOR_OP_MATH;
  if (f32 && !tf32) math = CUDNN_FMA_MATH;
  TANDEM_PLAN_TRY(cudnnSetConvolutionMathType(p.conv, math));

  // The output size cuDNN computes must be Tandem's (the caller checked the padding rule).
  int odims[5];
  TANDEM_PLAN_TRY(cudnnGetConvolutionNdForwardOutputDim(p.conv, p.x, p.w, nd, odims));
  int ydims[5], ystr[5];
  ydims[0] = g.n;
  ydims[1] = g.k;
  for (int i = 0; i < g.sp; ++i)
    ydims[2 + i] = g.out[i];
  if (!std::equal(odims, odims + nd, ydims)) {
    throw std::runtime_error(
        "[Convolution::eval_gpu] Internal error: cuDNN computes output dims (N,K,spatial) " +
        dims_str(odims, nd) + " where Tandem's output is " + dims_str(ydims, nd) + " for " +
        geom_str(g, t) + ".");
  }
  nhwc_strides(g.sp, g.k, g.out, ystr);
  TANDEM_PLAN_TRY(cudnnSetTensorNdDescriptor(p.y, dt, nd, ydims, ystr));
  return true;
}
#undef TANDEM_PLAN_TRY

// Descriptors, output-size check and algorithm of one problem. A plan that cuDNN does not
// support comes back with supported == false and the reason in `why`.
std::shared_ptr<Plan> make_plan(cudnnHandle_t h, const Geom& g, Dtype t) {
  auto pp = std::make_shared<Plan>();
  Plan& p = *pp;
  if (!set_descriptors(p, g, t)) return pp;
  const bool f32 = t == float32;
  const bool tf32 = f32 && tf32_enabled();
  int max_algos = 0;
  cudnnStatus_t st = cudnnGetConvolutionForwardAlgorithmMaxCount(h, &max_algos);
  std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(std::max(max_algos, 1));
  int got = 0;
  if (st == CUDNN_STATUS_SUCCESS) {
    st = cudnnGetConvolutionForwardAlgorithm_v7(h, p.x, p.w, p.conv, p.y,
                                                static_cast<int>(perf.size()), &got, perf.data());
  }
  if (st != CUDNN_STATUS_SUCCESS) {
    p.why = "cudnnGetConvolutionForwardAlgorithm_v7: " + dnn_status_message(st);
    return pp;
  }
  // Results come best first; take the first usable one.
  for (int i = 0; i < got; ++i) {
    const auto& r = perf[i];
    if (r.status != CUDNN_STATUS_SUCCESS) continue;
    if (r.algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT || r.algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING)
      continue;
    cudnnMathType_t math = r.mathType;
    if (f32 && !tf32) {
      // No tensor cores for float32 (TF32) unless allowed; CUDNN_DEFAULT_MATH would allow them.
      if (math == CUDNN_TENSOR_OP_MATH || math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) continue;
      math = CUDNN_FMA_MATH;
    }
    if (r.memory > kMaxWorkspace) continue;
    if (cudnnSetConvolutionMathType(p.conv, math) != CUDNN_STATUS_SUCCESS) continue;
    size_t ws = 0;
    if (cudnnGetConvolutionForwardWorkspaceSize(h, p.x, p.w, p.conv, p.y, r.algo, &ws) !=
        CUDNN_STATUS_SUCCESS)
      continue;
    if (ws > kMaxWorkspace) continue;
    p.algo = r.algo;
    p.workspace = ws;
    p.supported = true;
    p.why = std::string(algo_name(r.algo)) + " (math type " +
            std::to_string(static_cast<int>(math)) + "), workspace " + std::to_string(ws) +
            " bytes";
    return pp;
  }
  p.why = "no usable algorithm among the " + std::to_string(got) + " cuDNN suggests";
  return pp;
}

std::shared_ptr<Plan> get_plan(cudnnHandle_t h, int device, const Geom& g, Dtype t) {
  std::vector<int> key{
      device,  static_cast<int>(t.val), t == float32 && tf32_enabled(), g.flip, g.sp, g.n, g.c, g.k,
      g.groups};
  for (int i = 0; i < g.sp; ++i) {
    key.insert(key.end(), {g.in[i], g.ker[i], g.out[i], g.pad[i], g.stride[i], g.dil[i]});
  }
  {
    std::lock_guard<std::mutex> lock(g_plans_mutex);
    auto it = plans().find(key);
    if (it != plans().end()) return it->second;
  }
  // Made outside the lock (a heuristic query); a concurrent maker of the same plan loses.
  auto p = make_plan(h, g, t);
  if (cudnn_mode() == 2) {
    std::cerr << "[tandem] cuDNN convolution plan for " << geom_str(g, t) << ": "
              << (p->supported ? "" : "declined, ") << p->why << std::endl;
  }
  std::lock_guard<std::mutex> lock(g_plans_mutex);
  auto& m = plans();
  if (m.size() >= kMaxPlans) m.erase(m.begin());  // users keep their shared_ptr
  return m.emplace(std::move(key), std::move(p)).first->second;
}

// `a`'s device address, copied into fresh (aligned) memory when it is not 16-byte aligned
// (e.g. a contiguous view at an odd offset): cuDNN's vectorised kernels assume aligned tensors.
const void* aligned_input(Encoder& enc, const array& a, std::vector<array>& keep) {
  const void* p = enc.input(a);
  if (reinterpret_cast<uintptr_t>(p) % 16 == 0) return p;
  array t = enc.temporary(a.shape(), a.dtype());
  void* d = enc.input(t);
  TANDEM_CUDA_CHECK(cudaMemcpyAsync(d, p, a.nbytes(), cudaMemcpyDeviceToDevice, enc.stream()));
  enc.count_op();
  keep.push_back(t);
  return d;
}

bool decline(const std::string& why) {
  if (cudnn_mode() == 2) std::cerr << "[tandem] cuDNN convolution declined: " << why << std::endl;
  return false;
}

// What cuDNN is asked: the geometry of a call of `nb` samples (and of the last call, of
// N % nb samples, when there is one). Returns the reason when Tandem's rules decline the case.
std::string prepare(const Convolution& p, const Shape& xs, const Shape& ws, const Shape& ys,
                    Dtype t, Geom& g, int64_t& nb) {
  if (t != float16 && t != bfloat16 && t != float32 && t != float64) return "dtype";
  const int sp = static_cast<int>(xs.size()) - 2;
  if (sp < 1 || sp > 3) return "only 1 to 3 spatial dims";
  g = Geom{};
  g.sp = std::max(sp, 2);
  g.c = xs[sp + 1];
  g.k = ys[sp + 1];
  g.groups = p.groups_;
  g.flip = p.flip_;
  const int off = g.sp - sp;  // 1 for a 1-d convolution: a unit first spatial dim
  for (int i = 0; i < off; ++i) {
    g.in[i] = g.ker[i] = g.out[i] = g.stride[i] = g.dil[i] = 1;
    g.pad[i] = 0;
  }
  int64_t in_per = g.c, out_per = g.k, w_size = ws[0];
  for (int i = 0; i < sp; ++i) {
    const int I = xs[1 + i], K = ws[1 + i], O = ys[1 + i];
    const int lo = p.padding_lo_[i], hi = p.padding_hi_[i];
    const int s = p.stride_[i], d = p.kernel_dilation_[i];
    if (p.input_dilation_[i] != 1) return "input dilation";
    if (lo < 0 || hi < 0) return "negative padding";
    if (lo != hi) {
      // cuDNN pads lo on both sides: fine when that gives Tandem's output size.
      const int64_t span = int64_t(I) + 2 * int64_t(lo) - (int64_t(K) - 1) * d - 1;
      if (span < 0 || span / s + 1 != O) return "unequal padding changing the output size";
    }
    g.in[off + i] = I;
    g.ker[off + i] = K;
    g.out[off + i] = O;
    g.pad[off + i] = lo;
    g.stride[off + i] = s;
    g.dil[off + i] = d;
    in_per *= I;
    out_per *= O;
    w_size *= K;
  }
  w_size *= ws[sp + 1];
  // Samples per cuDNN call: every tensor of a call within int32 elements.
  const int64_t N = xs[0];
  if (N <= 0) return "empty batch";  // (the caller handles empty outputs first)
  const int64_t per = std::max(in_per, out_per);
  if (per > INT32_MAX || w_size > INT32_MAX)
    return "a sample or the weight exceeds 2^31 - 1 elements";
  nb = std::min<int64_t>(N, INT32_MAX / per);
  if (nb < N) {
    // Calls start at multiples of nb samples: keep them 16-byte aligned.
    const int64_t isz = size_of(t);
    if (nb >= 16) {
      nb -= nb % 16;
    } else if ((in_per * isz) % 16 != 0 || (out_per * isz) % 16 != 0) {
      return "batch chunks would not be 16-byte aligned";
    }
  }
  g.n = static_cast<int>(nb);
  return "";
}

}  // namespace

bool conv_cudnn(Encoder& enc, const Convolution& p, const array& in, const array& w,
                const array& out, void* y) {
  if (cudnn_mode() == 0 || g_broken.load(std::memory_order_relaxed)) return false;
  const Dtype t = out.dtype();
  Geom g;
  int64_t nb = 0;
  std::string why = prepare(p, in.shape(), w.shape(), out.shape(), t, g, nb);
  if (!why.empty()) return decline(why);
  const int64_t N = in.shape()[0];
  const int64_t tail = N % nb;
  const int64_t isz = static_cast<int64_t>(out.itemsize());
  const int64_t in_per = static_cast<int64_t>(in.size()) / N;
  const int64_t out_per = static_cast<int64_t>(out.size()) / N;

  cudnnHandle_t h;
  try {
    h = dnn_handle(enc);
  } catch (const std::exception& e) {
    if (!g_broken.exchange(true)) {
      std::cerr << "[tandem] cuDNN could not be initialised; GPU convolutions use im2col + cuBLAS. "
                << e.what() << std::endl;
    }
    return false;
  }
  std::shared_ptr<Plan> main_plan = get_plan(h, enc.device(), g, t);
  if (!main_plan->supported) return false;
  std::shared_ptr<Plan> tail_plan;
  if (tail > 0) {
    g.n = static_cast<int>(tail);
    tail_plan = get_plan(h, enc.device(), g, t);
    if (!tail_plan->supported) return false;
  }

  std::vector<array> keep;  // temporaries, alive until every call is queued
  const char* X = static_cast<const char*>(aligned_input(enc, in, keep));
  const void* W = aligned_input(enc, w, keep);
  char* Y = static_cast<char*>(y);
  size_t ws = main_plan->workspace;
  if (tail_plan) ws = std::max(ws, tail_plan->workspace);
  void* wsp = nullptr;
  if (ws > 0) {
    keep.push_back(enc.temporary({static_cast<int32_t>(ws)}, uint8));
    wsp = enc.input(keep.back());
  }
  const float one_f = 1.0f, zero_f = 0.0f;
  const double one_d = 1.0, zero_d = 0.0;
  const void* alpha = t == float64 ? static_cast<const void*>(&one_d) : &one_f;
  const void* beta = t == float64 ? static_cast<const void*>(&zero_d) : &zero_f;
  for (int64_t n0 = 0; n0 < N; n0 += nb) {
    Plan& pl = N - n0 >= nb ? *main_plan : *tail_plan;
    const cudnnStatus_t st =
        cudnnConvolutionForward(h, alpha, pl.x, X + n0 * in_per * isz, pl.w, W, pl.conv, pl.algo,
                                wsp, ws, beta, pl.y, Y + n0 * out_per * isz);
    enc.count_op();
    if (st != CUDNN_STATUS_SUCCESS) {
      const bool bad_param = CUDNN_STATUS_CATEGORY(static_cast<int>(st)) == CUDNN_STATUS_BAD_PARAM;
      if (n0 == 0 && (dnn_not_supported(st) || bad_param)) {
        // Nothing was written: let im2col run, and do not try this plan again. A bad parameter
        // (e.g. an alignment cuDNN wants beyond the 16 bytes ensured above) is a bug of this
        // path worth a word on stderr, once.
        pl.supported = false;
        static std::atomic<bool> warned{false};
        if (bad_param && !warned.exchange(true)) {
          std::cerr << "[tandem] cudnnConvolutionForward rejected a parameter ("
                    << dnn_status_message(st) << ") for " << shape_to_string(in.shape())
                    << " input, " << shape_to_string(w.shape()) << " weight, " << dtype_name(t)
                    << "; using im2col for it." << std::endl;
        }
        return decline("cudnnConvolutionForward: " + dnn_status_message(st));
      }
      throw std::runtime_error(
          "[Convolution::eval_gpu] cudnnConvolutionForward failed: " + dnn_status_message(st) +
          " (algorithm " + algo_name(pl.algo) + ") for " + shape_to_string(in.shape()) +
          " input, " + shape_to_string(w.shape()) + " weight, " + dtype_name(t) + ".");
    }
  }
  g_calls.fetch_add(1, std::memory_order_relaxed);
  return true;
}

CudnnConvInfo cudnn_conv_info() {
  return {true, cudnn_mode() != 0 && !g_broken.load(), g_calls.load()};
}

std::string cudnn_conv_probe(const Convolution& p, const Shape& in, const Shape& w,
                             const Shape& out, Dtype t) {
  Geom g;
  int64_t nb = 0;
  std::string why = prepare(p, in, w, out, t, g, nb);
  if (!why.empty()) return "declined: " + why;
  const int64_t tail = in[0] % nb;
  for (int pass = 0; pass < (tail > 0 ? 2 : 1); ++pass) {
    if (pass == 1) g.n = static_cast<int>(tail);
    Plan plan;
    if (!set_descriptors(plan, g, t)) return "descriptor error: " + plan.why;
  }
  return "";
}

#else  // !TANDEM_WITH_CUDNN

bool conv_cudnn(Encoder&, const Convolution&, const array&, const array&, const array&, void*) {
  return false;
}

CudnnConvInfo cudnn_conv_info() {
  return {false, false, 0};
}

std::string cudnn_conv_probe(const Convolution&, const Shape&, const Shape&, const Shape&, Dtype) {
  return "not compiled";
}

#endif

}  // namespace tandem::cuda
