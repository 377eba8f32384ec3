// Copyright © 2026 Tandem authors.
// The GPU emulator's cuFFT: the plan and execution calls the backend makes (backend/cuda/fft.cu),
// over host memory, with a direct DFT in double precision (separable: one O(n^2) pass per axis;
// the emulator's tests are small). Signatures come from the toolkit's cufft.h.
//
// Plans: cufftCreate, cufftMakePlanMany64 / cufftMakePlanMany / cufftPlanMany (rank 1 to 3, any
// batch, types C2C, R2C, C2R and their double forms Z2Z, D2Z, Z2D), cufftGetSize, cufftSetStream,
// cufftSetAutoAllocation, cufftSetWorkArea, cufftDestroy, cufftGetVersion. Work runs when it is
// executed (the stream is only recorded).
//
// Data layout, as the cuFFT documentation defines it. Advanced layout (inembed and onembed both
// given): element x = (x0, .., x_{rank-1}) of transform b is at b * idist + ((x0 * inembed[1] +
// x1) * inembed[2] + x2) * istride (fewer terms for lower ranks; inembed[0] is not used), and the
// same with onembed, ostride and odist for the output; strides and distances count elements of
// the side's type (real or complex). Basic layout (inembed or onembed null: the other advanced
// parameters are ignored): packed row-major arrays of the logical sizes, transforms one after
// the other, the real side of an in-place R2C / C2R (idata == odata) padded to 2 (n / 2 + 1)
// reals in the last dimension.
//
// Transforms: C2C computes X[k] = sum_j x[j] exp(-+2 pi i j.k / n) (CUFFT_FORWARD = -1: minus;
// CUFFT_INVERSE: plus, unnormalised) over all rank dimensions. R2C computes the forward transform
// of the real input and writes the n_last / 2 + 1 non-redundant outputs of the last dimension.
// C2R reads n_last / 2 + 1 complex values in the last dimension, applies the inverse transform
// over the other dimensions, then along the last one x[j] = sum_k c_k Re(Y[k] exp(2 pi i j k /
// n)) with c_k = 1 for k = 0 and k = n / 2 (n even) and 2 otherwise: the inverse transform of
// the Hermitian extension of the input, in which the imaginary parts of the zero and Nyquist
// frequencies (along the last dimension) are ignored. An out-of-place C2R leaves NaN in the input
// elements it read (cuFFT may overwrite the input of C2R), so callers that reuse that input fail.
//
// Work areas: plans report a positive work size. With auto-allocation off, execution needs a
// work area (cufftSetWorkArea; CUFFT_NO_WORKSPACE otherwise), which it fills with NaN.
#include <cufft.h>

#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <numbers>
#include <unordered_map>
#include <vector>

namespace tandem_emu {

namespace {

using cplx = std::complex<double>;

struct Plan {
  bool made = false;
  cufftType type = CUFFT_C2C;
  int rank = 0;
  long long n[3] = {1, 1, 1};
  bool basic = true;
  long long inembed[3] = {1, 1, 1}, onembed[3] = {1, 1, 1};
  long long istride = 1, idist = 0, ostride = 1, odist = 0;
  long long batch = 1;
  int auto_allocate = 1;
  void* work_area = nullptr;
  size_t work_size = 0;
  cudaStream_t stream = nullptr;
};

struct Plans {
  std::mutex mu;
  std::unordered_map<cufftHandle, Plan> map;
  cufftHandle next = 1;
};

Plans& plans() {
  static auto* p = new Plans();  // never destroyed: plans may be destroyed during static teardown
  return *p;
}

bool valid_type(cufftType t) {
  return t == CUFFT_C2C || t == CUFFT_R2C || t == CUFFT_C2R || t == CUFFT_Z2Z || t == CUFFT_D2Z ||
         t == CUFFT_Z2D;
}
bool real_input(cufftType t) {
  return t == CUFFT_R2C || t == CUFFT_D2Z;
}
bool real_output(cufftType t) {
  return t == CUFFT_C2R || t == CUFFT_Z2D;
}
bool double_type(cufftType t) {
  return t == CUFFT_Z2Z || t == CUFFT_D2Z || t == CUFFT_Z2D;
}

// Logical sizes of the input (in = true) or output side: n, with the last dimension halved
// (n / 2 + 1) on the complex side of R2C / C2R.
void side_dims(const Plan& p, bool in, long long* d) {
  for (int i = 0; i < p.rank; ++i)
    d[i] = p.n[i];
  const bool halved = in ? real_output(p.type) : real_input(p.type);
  if (halved) d[p.rank - 1] = p.n[p.rank - 1] / 2 + 1;
}

long long product(const long long* d, int rank) {
  long long r = 1;
  for (int i = 0; i < rank; ++i)
    r *= d[i];
  return r;
}

// Where the elements of one side lie: storage sizes (embed[0] unused), stride and distance.
struct Layout {
  long long embed[3];
  long long stride, dist;
};

Layout side_layout(const Plan& p, bool in, bool in_place) {
  Layout l{};
  if (!p.basic) {
    for (int i = 0; i < 3; ++i)
      l.embed[i] = in ? p.inembed[i] : p.onembed[i];
    l.stride = in ? p.istride : p.ostride;
    l.dist = in ? p.idist : p.odist;
    return l;
  }
  side_dims(p, in, l.embed);
  const bool real_side = in ? real_input(p.type) : real_output(p.type);
  if (real_side && in_place) l.embed[p.rank - 1] = 2 * (p.n[p.rank - 1] / 2 + 1);
  l.stride = 1;
  l.dist = product(l.embed, p.rank);
  return l;
}

// The element offset of the q-th element (row-major over `dims`) of transform b.
long long offset_of(const Layout& l, const long long* dims, int rank, long long b, long long q) {
  long long x[3] = {0, 0, 0};
  for (int i = rank - 1; i >= 0; --i) {
    x[i] = q % dims[i];
    q /= dims[i];
  }
  long long lin = x[0];
  for (int i = 1; i < rank; ++i)
    lin = lin * l.embed[i] + x[i];
  return b * l.dist + lin * l.stride;
}

// In place, the 1-D DFT with exp(sign 2 pi i j k / L) along axis `axis` of the packed row-major
// array `a` of sizes dims (count such arrays one after the other).
void dft_axis(cplx* a, const long long* dims, int rank, long long count, int axis, int sign) {
  const long long len = dims[axis];
  if (len == 1) return;
  long long inner = 1;
  for (int i = axis + 1; i < rank; ++i)
    inner *= dims[i];
  const long long outer = count * product(dims, rank) / (len * inner);
  std::vector<cplx> w(static_cast<size_t>(len)), line(w.size()), res(w.size());
  for (long long t = 0; t < len; ++t)
    w[t] = std::polar(1.0, sign * 2.0 * std::numbers::pi * static_cast<double>(t) / len);
  for (long long o = 0; o < outer; ++o) {
    for (long long in = 0; in < inner; ++in) {
      cplx* base = a + o * len * inner + in;
      for (long long j = 0; j < len; ++j)
        line[j] = base[j * inner];
      for (long long k = 0; k < len; ++k) {
        cplx s = 0;
        for (long long j = 0; j < len; ++j)
          s += line[j] * w[(j * k) % len];
        res[k] = s;
      }
      for (long long k = 0; k < len; ++k)
        base[k * inner] = res[k];
    }
  }
}

template <typename R>
cufftResult execute(const Plan& p, void* idata, void* odata, int sign) {
  using C = std::complex<R>;  // layout-compatible with cufftComplex / cufftDoubleComplex
  const int rank = p.rank;
  const bool in_place = idata == odata;
  long long din[3], dout[3];
  side_dims(p, true, din);
  side_dims(p, false, dout);
  const Layout lin = side_layout(p, true, in_place), lout = side_layout(p, false, in_place);
  const long long nin = product(din, rank), nout = product(dout, rank);

  // Gather the input, packed row-major, transform after transform.
  std::vector<cplx> buf(static_cast<size_t>(p.batch * nin));
  for (long long b = 0; b < p.batch; ++b) {
    for (long long q = 0; q < nin; ++q) {
      const long long off = offset_of(lin, din, rank, b, q);
      buf[b * nin + q] = real_input(p.type) ? cplx(static_cast<R*>(idata)[off], 0.0)
                                            : cplx(static_cast<C*>(idata)[off]);
    }
  }

  std::vector<R> real_out;
  if (!real_output(p.type)) {
    for (int ax = 0; ax < rank; ++ax)
      dft_axis(buf.data(), din, rank, p.batch, ax, sign);
  } else {
    // Inverse over the leading dimensions, then the Hermitian sum along the last one.
    for (int ax = 0; ax + 1 < rank; ++ax)
      dft_axis(buf.data(), din, rank, p.batch, ax, +1);
    const long long n = p.n[rank - 1], h = n / 2 + 1;
    const long long lines = p.batch * nin / h;
    std::vector<cplx> w(static_cast<size_t>(n));
    for (long long t = 0; t < n; ++t)
      w[t] = std::polar(1.0, 2.0 * std::numbers::pi * static_cast<double>(t) / n);
    real_out.resize(static_cast<size_t>(lines * n));
    for (long long l = 0; l < lines; ++l) {
      const cplx* y = buf.data() + l * h;
      for (long long j = 0; j < n; ++j) {
        double s = 0.0;
        for (long long k = 0; k < h; ++k) {
          const double c = (k == 0 || 2 * k == n) ? 1.0 : 2.0;
          s += c * (y[k] * w[(j * k) % n]).real();
        }
        real_out[l * n + j] = static_cast<R>(s);
      }
    }
    if (!in_place) {
      const C nan(std::numeric_limits<R>::quiet_NaN(), std::numeric_limits<R>::quiet_NaN());
      for (long long b = 0; b < p.batch; ++b)
        for (long long q = 0; q < nin; ++q)
          static_cast<C*>(idata)[offset_of(lin, din, rank, b, q)] = nan;
    }
  }

  // Scatter the output. R2C keeps the first n_last / 2 + 1 entries of the last dimension.
  for (long long b = 0; b < p.batch; ++b) {
    for (long long q = 0; q < nout; ++q) {
      const long long off = offset_of(lout, dout, rank, b, q);
      if (real_output(p.type)) {
        static_cast<R*>(odata)[off] = real_out[b * nout + q];
      } else if (real_input(p.type)) {
        // q over dout (last dimension halved) maps to the full-size index in buf.
        const long long last = q % dout[rank - 1], row = q / dout[rank - 1];
        const cplx v = buf[b * nin + row * din[rank - 1] + last];
        static_cast<C*>(odata)[off] = C(static_cast<R>(v.real()), static_cast<R>(v.imag()));
      } else {
        const cplx v = buf[b * nin + q];
        static_cast<C*>(odata)[off] = C(static_cast<R>(v.real()), static_cast<R>(v.imag()));
      }
    }
  }
  return CUFFT_SUCCESS;
}

// Looks up the plan, checks it against the execution call and its work area, and runs it.
cufftResult exec(cufftHandle handle, void* idata, void* odata, int sign, cufftType want) {
  Plan p;
  {
    Plans& ps = plans();
    std::lock_guard<std::mutex> lk(ps.mu);
    auto it = ps.map.find(handle);
    if (it == ps.map.end() || !it->second.made || it->second.type != want) {
      return CUFFT_INVALID_PLAN;
    }
    p = it->second;
  }
  if (!idata || !odata || (sign != CUFFT_FORWARD && sign != CUFFT_INVERSE)) {
    return CUFFT_INVALID_VALUE;
  }
  if (!p.auto_allocate && p.work_size > 0) {
    if (!p.work_area) return CUFFT_NO_WORKSPACE;
    std::memset(p.work_area, 0xFF, p.work_size);
  }
  return double_type(p.type) ? execute<double>(p, idata, odata, sign)
                             : execute<float>(p, idata, odata, sign);
}

cufftResult make_plan(cufftHandle handle, int rank, const long long* n, const long long* inembed,
                      long long istride, long long idist, const long long* onembed,
                      long long ostride, long long odist, cufftType type, long long batch,
                      size_t* work_size) {
  Plans& ps = plans();
  std::lock_guard<std::mutex> lk(ps.mu);
  auto it = ps.map.find(handle);
  if (it == ps.map.end()) return CUFFT_INVALID_PLAN;
  if (!valid_type(type)) return CUFFT_INVALID_TYPE;
  if (rank < 1 || rank > 3) return CUFFT_INVALID_SIZE;
  if (!n) return CUFFT_INVALID_VALUE;
  for (int i = 0; i < rank; ++i)
    if (n[i] < 1) return CUFFT_INVALID_SIZE;
  if (batch < 1) return CUFFT_INVALID_SIZE;
  Plan p = it->second;
  p.type = type;
  p.rank = rank;
  for (int i = 0; i < 3; ++i)
    p.n[i] = i < rank ? n[i] : 1;
  p.batch = batch;
  p.basic = !inembed || !onembed;
  if (!p.basic) {
    if (istride < 1 || ostride < 1 || idist < 0 || odist < 0) return CUFFT_INVALID_VALUE;
    long long din[3], dout[3];
    side_dims(p, true, din);
    side_dims(p, false, dout);
    for (int i = 0; i < 3; ++i) {
      p.inembed[i] = i < rank ? inembed[i] : 1;
      p.onembed[i] = i < rank ? onembed[i] : 1;
    }
    // Storage sizes smaller than the data would make elements of a transform overlap.
    for (int i = 1; i < rank; ++i)
      if (p.inembed[i] < din[i] || p.onembed[i] < dout[i]) return CUFFT_INVALID_VALUE;
    p.istride = istride;
    p.idist = idist;
    p.ostride = ostride;
    p.odist = odist;
  }
  const size_t elem = double_type(type) ? sizeof(cufftDoubleComplex) : sizeof(cufftComplex);
  p.work_size = elem * static_cast<size_t>(product(p.n, rank));
  p.made = true;
  it->second = p;
  if (work_size) *work_size = p.work_size;
  return CUFFT_SUCCESS;
}

}  // namespace

}  // namespace tandem_emu

using namespace tandem_emu;

extern "C" {

cufftResult cufftCreate(cufftHandle* handle) {
  if (!handle) return CUFFT_INVALID_VALUE;
  Plans& ps = plans();
  std::lock_guard<std::mutex> lk(ps.mu);
  *handle = ps.next++;
  ps.map.emplace(*handle, Plan());
  return CUFFT_SUCCESS;
}

cufftResult cufftDestroy(cufftHandle plan) {
  Plans& ps = plans();
  std::lock_guard<std::mutex> lk(ps.mu);
  return ps.map.erase(plan) ? CUFFT_SUCCESS : CUFFT_INVALID_PLAN;
}

cufftResult cufftSetStream(cufftHandle plan, cudaStream_t stream) {
  Plans& ps = plans();
  std::lock_guard<std::mutex> lk(ps.mu);
  auto it = ps.map.find(plan);
  if (it == ps.map.end()) return CUFFT_INVALID_PLAN;
  it->second.stream = stream;
  return CUFFT_SUCCESS;
}

cufftResult cufftSetAutoAllocation(cufftHandle plan, int autoAllocate) {
  Plans& ps = plans();
  std::lock_guard<std::mutex> lk(ps.mu);
  auto it = ps.map.find(plan);
  if (it == ps.map.end()) return CUFFT_INVALID_PLAN;
  it->second.auto_allocate = autoAllocate;
  return CUFFT_SUCCESS;
}

cufftResult cufftSetWorkArea(cufftHandle plan, void* workArea) {
  Plans& ps = plans();
  std::lock_guard<std::mutex> lk(ps.mu);
  auto it = ps.map.find(plan);
  if (it == ps.map.end()) return CUFFT_INVALID_PLAN;
  it->second.work_area = workArea;
  return CUFFT_SUCCESS;
}

cufftResult cufftGetSize(cufftHandle handle, size_t* workSize) {
  Plans& ps = plans();
  std::lock_guard<std::mutex> lk(ps.mu);
  auto it = ps.map.find(handle);
  if (it == ps.map.end()) return CUFFT_INVALID_PLAN;
  if (!workSize) return CUFFT_INVALID_VALUE;
  *workSize = it->second.work_size;
  return CUFFT_SUCCESS;
}

cufftResult cufftGetVersion(int* version) {
  if (!version) return CUFFT_INVALID_VALUE;
  *version = CUFFT_VERSION;
  return CUFFT_SUCCESS;
}

cufftResult cufftMakePlanMany64(cufftHandle plan, int rank, long long int* n,
                                long long int* inembed, long long int istride, long long int idist,
                                long long int* onembed, long long int ostride, long long int odist,
                                cufftType type, long long int batch, size_t* workSize) {
  return make_plan(plan, rank, n, inembed, istride, idist, onembed, ostride, odist, type, batch,
                   workSize);
}

cufftResult cufftMakePlanMany(cufftHandle plan, int rank, int* n, int* inembed, int istride,
                              int idist, int* onembed, int ostride, int odist, cufftType type,
                              int batch, size_t* workSize) {
  long long n64[3] = {1, 1, 1}, in64[3] = {1, 1, 1}, on64[3] = {1, 1, 1};
  for (int i = 0; i < rank && i < 3; ++i) {
    if (n) n64[i] = n[i];
    if (inembed) in64[i] = inembed[i];
    if (onembed) on64[i] = onembed[i];
  }
  return make_plan(plan, rank, n ? n64 : nullptr, inembed ? in64 : nullptr, istride, idist,
                   onembed ? on64 : nullptr, ostride, odist, type, batch, workSize);
}

cufftResult cufftPlanMany(cufftHandle* plan, int rank, int* n, int* inembed, int istride, int idist,
                          int* onembed, int ostride, int odist, cufftType type, int batch) {
  if (!plan) return CUFFT_INVALID_VALUE;
  cufftResult r = cufftCreate(plan);
  if (r != CUFFT_SUCCESS) return r;
  size_t work = 0;
  r = cufftMakePlanMany(*plan, rank, n, inembed, istride, idist, onembed, ostride, odist, type,
                        batch, &work);
  if (r != CUFFT_SUCCESS) cufftDestroy(*plan);
  return r;
}

cufftResult cufftExecC2C(cufftHandle plan, cufftComplex* idata, cufftComplex* odata,
                         int direction) {
  return exec(plan, idata, odata, direction, CUFFT_C2C);
}
cufftResult cufftExecR2C(cufftHandle plan, cufftReal* idata, cufftComplex* odata) {
  return exec(plan, idata, odata, CUFFT_FORWARD, CUFFT_R2C);
}
cufftResult cufftExecC2R(cufftHandle plan, cufftComplex* idata, cufftReal* odata) {
  return exec(plan, idata, odata, CUFFT_INVERSE, CUFFT_C2R);
}
cufftResult cufftExecZ2Z(cufftHandle plan, cufftDoubleComplex* idata, cufftDoubleComplex* odata,
                         int direction) {
  return exec(plan, idata, odata, direction, CUFFT_Z2Z);
}
cufftResult cufftExecD2Z(cufftHandle plan, cufftDoubleReal* idata, cufftDoubleComplex* odata) {
  return exec(plan, idata, odata, CUFFT_FORWARD, CUFFT_D2Z);
}
cufftResult cufftExecZ2D(cufftHandle plan, cufftDoubleComplex* idata, cufftDoubleReal* odata) {
  return exec(plan, idata, odata, CUFFT_INVERSE, CUFFT_Z2D);
}

}  // extern "C"
