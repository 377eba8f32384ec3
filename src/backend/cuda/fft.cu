// Copyright © 2026 Tandem authors.
// eval_gpu of the FFT primitive through cuFFT (written and compiled; not yet run on a GPU).
//
// cuFFT transforms at most 3 axes per plan, and only the trailing axes of a packed batch. So the
// transform's axes are processed in groups of at most 3 (rfft: the group ending with the halved
// axis first, as R2C; irfft: the other axes first as C2C, then the halved axis alone as a 1-D
// C2R; complex transforms in the order given): for each group the current data is copied
// (copy_general, converting nothing) into a packed temporary with the group's axes moved to the
// end, unless it is already laid out that way and 16-byte aligned, and one batched out-of-place
// cuFFT call writes the next temporary. The last result is copied into the row-major output,
// and inverse transforms are scaled by 1 / N there (cuFFT does not normalise). A C2R input is
// always such a private copy (cuFFT may overwrite the input of C2R), in which the imaginary
// parts of the zero and Nyquist frequencies are zeroed first, so that any input (Hermitian or
// not) gives the CPU's result.
//
// Plans (cufftMakePlanMany64, 64-bit sizes) are cached per device, stream slot, type, sizes and
// batch, at most kMaxPlans of them (least recently used evicted; the stream that used a plan is
// synchronised before it is destroyed, which happens only past kMaxPlans distinct shapes). Plans
// keep no work area (auto-allocation off): each call takes its work area from the stream's
// temporaries, so that memory is counted and freed in stream order like any other buffer.
#include <cufft.h>

#include <list>
#include <mutex>
#include <numeric>
#include <tuple>

#include "backend/cuda/copy.h"
#include "backend/cuda/indexing.cuh"
#include "backend/cuda/kernels.cuh"
#include "primitives/fft.h"

namespace tandem {

namespace cuda {

namespace {

const char* cufft_status_name(cufftResult r) {
  switch (r) {
    case CUFFT_SUCCESS:
      return "CUFFT_SUCCESS";
    case CUFFT_INVALID_PLAN:
      return "CUFFT_INVALID_PLAN";
    case CUFFT_ALLOC_FAILED:
      return "CUFFT_ALLOC_FAILED";
    case CUFFT_INVALID_TYPE:
      return "CUFFT_INVALID_TYPE";
    case CUFFT_INVALID_VALUE:
      return "CUFFT_INVALID_VALUE";
    case CUFFT_INTERNAL_ERROR:
      return "CUFFT_INTERNAL_ERROR";
    case CUFFT_EXEC_FAILED:
      return "CUFFT_EXEC_FAILED";
    case CUFFT_SETUP_FAILED:
      return "CUFFT_SETUP_FAILED";
    case CUFFT_INVALID_SIZE:
      return "CUFFT_INVALID_SIZE";
    case CUFFT_INVALID_DEVICE:
      return "CUFFT_INVALID_DEVICE";
    case CUFFT_NO_WORKSPACE:
      return "CUFFT_NO_WORKSPACE";
    case CUFFT_NOT_IMPLEMENTED:
      return "CUFFT_NOT_IMPLEMENTED";
    case CUFFT_NOT_SUPPORTED:
      return "CUFFT_NOT_SUPPORTED";
    default:
      return "cufftResult error";
  }
}

#define TANDEM_CUFFT_CHECK(call)                                                                  \
  do {                                                                                            \
    cufftResult st_ = (call);                                                                     \
    if (st_ != CUFFT_SUCCESS) {                                                                   \
      throw std::runtime_error(std::string("[FFT::eval_gpu] ") + #call +                          \
                               " failed: " + ::tandem::cuda::cufft_status_name(st_) + " (" +      \
                               std::to_string(static_cast<int>(st_)) + ") at " + __FILE__ + ":" + \
                               std::to_string(__LINE__) + ".");                                   \
    }                                                                                             \
  } while (0)

constexpr size_t kMaxPlans = 64;

struct PlanKey {
  int device, slot;
  cufftType type;
  std::vector<long long> dims;
  long long batch;
  bool operator==(const PlanKey& o) const {
    return device == o.device && slot == o.slot && type == o.type && dims == o.dims &&
           batch == o.batch;
  }
};

struct CachedPlan {
  PlanKey key;
  cufftHandle handle;
  size_t work_bytes;
  cudaStream_t stream;
};

// The plan cache (most recently used first). Lookups and executions hold the mutex, so a plan's
// work area is set and used by one thread at a time.
std::mutex& plan_mutex() {
  static std::mutex m;
  return m;
}
std::list<CachedPlan>& plans() {
  static auto* l = new std::list<CachedPlan>();  // never destroyed: plans outlive static teardown
  return *l;
}

// The cached plan for `key` (made on first use), moved to the front. Requires plan_mutex().
CachedPlan& get_plan(const PlanKey& key, Encoder& enc) {
  auto& l = plans();
  for (auto it = l.begin(); it != l.end(); ++it) {
    if (it->key == key) {
      l.splice(l.begin(), l, it);
      return l.front();
    }
  }
  if (l.size() >= kMaxPlans) {
    CachedPlan& old = l.back();
    // Work queued with this plan must finish before its resources go.
    DeviceScope scope(old.key.device);
    TANDEM_CUDA_CHECK(cudaStreamSynchronize(old.stream));
    cufftDestroy(old.handle);
    l.pop_back();
  }
  CachedPlan p{key, 0, 0, enc.stream()};
  TANDEM_CUFFT_CHECK(cufftCreate(&p.handle));
  try {
    TANDEM_CUFFT_CHECK(cufftSetAutoAllocation(p.handle, 0));
    std::vector<long long> dims = key.dims;
    // Basic (packed) layout: null embeds, unit strides, distances of one whole transform.
    long long in_dist = 1, out_dist = 1;
    for (size_t i = 0; i < dims.size(); ++i) {
      bool halved = i + 1 == dims.size();
      long long full = dims[i], half = dims[i] / 2 + 1;
      in_dist *= halved && key.type == CUFFT_C2R ? half : full;
      out_dist *= halved && key.type == CUFFT_R2C ? half : full;
    }
    size_t work = 0;
    TANDEM_CUFFT_CHECK(cufftMakePlanMany64(p.handle, static_cast<int>(dims.size()), dims.data(),
                                           nullptr, 1, in_dist, nullptr, 1, out_dist, key.type,
                                           key.batch, &work));
    TANDEM_CUFFT_CHECK(cufftSetStream(p.handle, enc.stream()));
    p.work_bytes = work;
  } catch (...) {
    cufftDestroy(p.handle);
    throw;
  }
  l.push_front(std::move(p));
  return l.front();
}

// Multiplies n floats in place by s.
__global__ void scale_kernel(float* p, int64_t n, float s) {
  for (int64_t i = global_thread(); i < n; i += grid_threads())
    p[i] *= s;
}

// Per line of m complex values (packed): zero the imaginary part of frequency 0 and, for even
// n, of frequency n / 2, which a real signal's spectrum has real.
__global__ void c2r_prepare_kernel(float* p, int64_t lines, int64_t m, int64_t n) {
  for (int64_t l = global_thread(); l < lines; l += grid_threads()) {
    p[2 * (l * m) + 1] = 0.0f;
    if (n % 2 == 0 && n / 2 < m) p[2 * (l * m + n / 2) + 1] = 0.0f;
  }
}

size_t numel_of(const Shape& s) {
  size_t n = 1;
  for (int d : s)
    n *= static_cast<size_t>(d);
  return n;
}

// The data between two passes: a device pointer, dtype, and element strides per logical axis.
struct Current {
  array keep;  // owns the memory (input or temporary)
  const void* ptr;
  Dtype dtype;
  Shape shape;
  Strides strides;
};

}  // namespace

}  // namespace cuda

void FFT::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  void* po = enc.output(out);
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  const array& in = inputs[0];
  const int nd = in.ndim();
  const int last = axes_.back();

  cuda::Current cur{in, enc.input(in), in.dtype(), in.shape(), in.strides()};

  // Groups of at most 3 axes (in the order of axes_), the halved axis ending the last group;
  // irfft takes the halved axis alone (a 1-D C2R after the complex passes, so that the result
  // is defined the CPU's way for any input, Hermitian or not).
  std::vector<std::vector<int>> groups;
  int end = static_cast<int>(axes_.size());
  if (real_ && inverse_) {
    groups.push_back({last});
    --end;
  }
  for (; end > 0; end -= 3) {
    int begin = std::max(0, end - 3);
    groups.insert(groups.begin(), std::vector<int>(axes_.begin() + begin, axes_.begin() + end));
  }
  // rfft runs the halved group first; irfft and complex transforms run it last.
  if (real_ && !inverse_) std::rotate(groups.begin(), groups.end() - 1, groups.end());

  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const auto& g = groups[gi];
    const bool halved = real_ && g.back() == last;
    cufftType type = !halved ? CUFFT_C2C : inverse_ ? CUFFT_C2R : CUFFT_R2C;
    // Permutation: the other axes in order, then the group's axes.
    std::vector<int> perm;
    for (int d = 0; d < nd; ++d)
      if (std::find(g.begin(), g.end(), d) == g.end()) perm.push_back(d);
    for (int d : g)
      perm.push_back(d);
    Shape pshape(nd);
    Strides pstrides(nd);
    for (int i = 0; i < nd; ++i) {
      pshape[i] = cur.shape[perm[i]];
      pstrides[i] = cur.strides[perm[i]];
    }
    // Packed in the permuted order already? (Extents of 1 may have any stride.)
    bool packed = true;
    {
      int64_t expect = 1;
      for (int i = nd - 1; i >= 0; --i) {
        if (pshape[i] != 1 && pstrides[i] != expect) packed = false;
        expect *= pshape[i];
      }
    }
    // cuFFT wants pointers aligned beyond the element size (16 bytes here, to be safe).
    if (reinterpret_cast<uintptr_t>(cur.ptr) % 16 != 0) packed = false;
    const void* src = cur.ptr;
    array src_keep = cur.keep;
    if (!packed || type == CUFFT_C2R) {
      array tmp = enc.temporary(pshape, cur.dtype);
      cuda::copy_general(enc, cur.ptr, cur.dtype, pstrides, enc.input(tmp), cur.dtype,
                         row_major_strides(pshape), pshape);
      src = enc.input(tmp);
      src_keep = tmp;
    }
    if (type == CUFFT_C2R) {
      // The private copy: drop the imaginary parts of the zero and Nyquist frequencies.
      int64_t m = pshape[nd - 1];
      int64_t lines = static_cast<int64_t>(cuda::numel_of(pshape)) / m;
      cuda::launch(enc, "fft_c2r_prepare", cuda::c2r_prepare_kernel, cuda::blocks_for(lines),
                   cuda::kThreads, 0, static_cast<float*>(const_cast<void*>(src)), lines, m,
                   static_cast<int64_t>(n_last_));
    }
    // Transform sizes and batch.
    std::vector<long long> dims;
    for (size_t i = nd - g.size(); i < static_cast<size_t>(nd); ++i)
      dims.push_back(pshape[i]);
    if (type == CUFFT_C2R) dims.back() = n_last_;
    long long batch = 1;
    for (size_t i = 0; i < nd - g.size(); ++i)
      batch *= pshape[i];
    Shape rshape = pshape;
    if (type == CUFFT_R2C) rshape[nd - 1] = pshape[nd - 1] / 2 + 1;
    if (type == CUFFT_C2R) rshape[nd - 1] = n_last_;
    Dtype rdtype = type == CUFFT_C2R ? float32 : complex64;
    array res = enc.temporary(rshape, rdtype);
    void* dst = enc.input(res);
    {
      std::lock_guard<std::mutex> lock(cuda::plan_mutex());
      cuda::PlanKey key{enc.device(), enc.slot(), type, dims, batch};
      cuda::CachedPlan& plan = cuda::get_plan(key, enc);
      std::optional<array> work;
      if (plan.work_bytes > 0) {
        work = cuda::scratch(enc, plan.work_bytes, uint8);
        TANDEM_CUFFT_CHECK(cufftSetWorkArea(plan.handle, enc.input(*work)));
      }
      void* s = const_cast<void*>(src);
      if (type == CUFFT_C2C) {
        TANDEM_CUFFT_CHECK(cufftExecC2C(plan.handle, static_cast<cufftComplex*>(s),
                                        static_cast<cufftComplex*>(dst),
                                        inverse_ ? CUFFT_INVERSE : CUFFT_FORWARD));
      } else if (type == CUFFT_R2C) {
        TANDEM_CUFFT_CHECK(
            cufftExecR2C(plan.handle, static_cast<cufftReal*>(s), static_cast<cufftComplex*>(dst)));
      } else {
        TANDEM_CUFFT_CHECK(
            cufftExecC2R(plan.handle, static_cast<cufftComplex*>(s), static_cast<cufftReal*>(dst)));
      }
      enc.count_op();
    }
    // The result, in logical axis order.
    Strides rs = row_major_strides(rshape);
    cur.keep = res;
    cur.ptr = dst;
    cur.dtype = rdtype;
    for (int i = 0; i < nd; ++i) {
      cur.shape[perm[i]] = rshape[i];
      cur.strides[perm[i]] = rs[i];
    }
  }

  cuda::copy_general(enc, cur.ptr, cur.dtype, cur.strides, po, out.dtype(),
                     row_major_strides(out.shape()), out.shape());
  if (inverse_) {
    double N = 1.0;
    for (int ax : axes_)
      N *= static_cast<double>(out.shape(ax));
    int64_t nf = static_cast<int64_t>(out.size()) * (out.dtype() == complex64 ? 2 : 1);
    cuda::launch(enc, "fft_scale", cuda::scale_kernel, cuda::blocks_for(nf), cuda::kThreads, 0,
                 static_cast<float*>(po), nf, static_cast<float>(1.0 / N));
  }
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
