// Copyright © 2026 Tandem authors.
// cuBLASLt products with cached plans (see blaslt.h): per-stream handles and workspaces, and the
// LRU plan cache.
#include "backend/cuda/blaslt.h"

#include <cublasLt.h>

#include <atomic>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backend/cuda/blas.h"
#include "core/backend_hooks.h"
#include "tandem/memory.h"

namespace tandem::cuda {

namespace {

constexpr size_t kWorkspaceBytes = size_t(32) << 20;  // what PyTorch gives cuBLAS(Lt) on Hopper
constexpr size_t kMaxPlans = 1024;
constexpr int kWorkspaceRetry = 64;  // products without a workspace after a refusal

std::atomic<uint64_t> g_hits{0}, g_misses{0}, g_fallbacks{0}, g_gemv{0};

// ---------------- handles and workspaces ----------------

/// What a stream needs for cuBLASLt products.
struct StreamState {
  cublasLtHandle_t handle{nullptr};
  std::optional<array> workspace;  // Encoder::library_workspace: cache memory, see below
  void* workspace_ptr{nullptr};
  int retry_in{0};  // products to run without a workspace before asking for one again
};

struct Resources {
  std::mutex mu;
  std::vector<StreamState> streams;  // per stream slot
};

Resources& resources_unregistered() {
  // Never destroyed: nothing may call into cuBLASLt or free device memory during exit.
  static Resources* r = new Resources();
  return *r;
}

// clear_cache(), a lower cache limit and a device out of memory take the workspaces back
// (register_cache_owner). A product queued with one keeps it alive until it has been queued
// (StreamResources::keep), and the memory is freed in the stream's order like any buffer.
void release_workspaces() {
  auto& r = resources_unregistered();
  std::vector<array> drop;  // declared before the lock: freed after it is dropped
  std::lock_guard<std::mutex> lk(r.mu);
  for (auto& st : r.streams) {
    if (st.workspace) drop.push_back(std::move(*st.workspace));
    st.workspace.reset();
    st.workspace_ptr = nullptr;
    st.retry_in = 0;
  }
}

Resources& resources() {
  static Resources& r = []() -> Resources& {
    register_cache_owner(&release_workspaces);
    return resources_unregistered();
  }();
  return r;
}

struct StreamResources {
  cublasLtHandle_t handle;
  void* workspace;
  size_t workspace_size;
  std::optional<array> keep;  // the workspace stays allocated while the product is queued
};

/// The stream's cuBLASLt handle (one per stream, as with cuBLAS: a stream is used by one thread
/// at a time) and its workspace, allocated on first use from the device pool in the stream's
/// order. The workspace is cache memory (Encoder::library_workspace: not active memory, freed
/// by clear_cache); while the cache limit or the device leaves no room for it the product runs
/// without one (a plan for workspace 0) and a later call tries again. The device is current
/// (encoder()). Nothing is allocated with the lock held: a shortage of device memory calls
/// release_workspaces, which takes it.
StreamResources stream_resources(Encoder& enc) {
  auto& r = resources();
  const size_t s = static_cast<size_t>(enc.slot());
  {
    std::lock_guard<std::mutex> lk(r.mu);
    if (r.streams.size() <= s) r.streams.resize(s + 1);
    StreamState& st = r.streams[s];
    if (!st.handle) {
      cublasLtHandle_t h;
      TANDEM_CUBLAS_CHECK(cublasLtCreate(&h));
      st.handle = h;
    }
    if (st.workspace) return {st.handle, st.workspace_ptr, kWorkspaceBytes, st.workspace};
    // Refused recently (no room in the cache limit or on the device): not asked on every call.
    if (st.retry_in > 0) {
      --st.retry_in;
      return {st.handle, nullptr, 0, std::nullopt};
    }
  }
  std::optional<array> w = enc.library_workspace(kWorkspaceBytes);
  void* ptr = w ? enc.input(*w) : nullptr;
  std::lock_guard<std::mutex> lk(r.mu);
  StreamState& st = r.streams[s];
  if (w && !st.workspace) {
    st.workspace = std::move(w);
    st.workspace_ptr = ptr;
  }
  if (!st.workspace) {
    st.retry_in = kWorkspaceRetry;
    return {st.handle, nullptr, 0, std::nullopt};
  }
  return {st.handle, st.workspace_ptr, kWorkspaceBytes, st.workspace};
}

// ---------------- plans ----------------

struct PlanKey {
  int device;
  int dtype, compute, trans_a, trans_b;
  int64_t m, n, k, lda, ldb, ldc, batch, stride_a, stride_b, stride_c;
  uint32_t align_a, align_b, align_c;
  uint64_t workspace;
  bool operator==(const PlanKey&) const = default;
};

struct PlanKeyHash {
  size_t operator()(const PlanKey& p) const {
    uint64_t h = 1469598103934665603ull;  // FNV-1a over the fields (not the padding)
    auto mix = [&](uint64_t v) {
      h ^= v;
      h *= 1099511628211ull;
    };
    for (int64_t v : {int64_t(p.device), int64_t(p.dtype), int64_t(p.compute), int64_t(p.trans_a),
                      int64_t(p.trans_b), p.m, p.n, p.k, p.lda, p.ldb, p.ldc, p.batch, p.stride_a,
                      p.stride_b, p.stride_c, int64_t(p.align_a), int64_t(p.align_b),
                      int64_t(p.align_c), int64_t(p.workspace)}) {
      mix(static_cast<uint64_t>(v));
    }
    return static_cast<size_t>(h);
  }
};

struct Plan {
  cublasLtMatmulDesc_t desc{nullptr};
  cublasLtMatrixLayout_t la{nullptr}, lb{nullptr}, lc{nullptr};
  cublasLtMatmulAlgo_t algo{};
  bool usable{false};                 // false: cuBLASLt offered no algorithm (use cuBLAS)
  std::atomic<bool> rejected{false};  // cublasLtMatmul refused the algorithm once

  Plan() = default;
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
  ~Plan() {
    // Host-side objects: safe to destroy while products built from them are still in flight.
    if (lc) (void)cublasLtMatrixLayoutDestroy(lc);
    if (lb) (void)cublasLtMatrixLayoutDestroy(lb);
    if (la) (void)cublasLtMatrixLayoutDestroy(la);
    if (desc) (void)cublasLtMatmulDescDestroy(desc);
  }
};

class PlanCache {
 public:
  std::shared_ptr<Plan> find(const PlanKey& key) {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);  // most recently used first
    return it->second->second;
  }
  /// Inserts `plan` unless another thread was first; returns the cached one.
  std::shared_ptr<Plan> insert(const PlanKey& key, std::shared_ptr<Plan> plan) {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) return it->second->second;
    lru_.emplace_front(key, std::move(plan));
    map_.emplace(key, lru_.begin());
    while (lru_.size() > kMaxPlans) {
      map_.erase(lru_.back().first);
      lru_.pop_back();  // an evicted plan still in use elsewhere lives on in its shared_ptr
    }
    return lru_.front().second;
  }
  size_t size() {
    std::lock_guard<std::mutex> lk(mu_);
    return lru_.size();
  }

 private:
  using Entry = std::pair<PlanKey, std::shared_ptr<Plan>>;
  std::mutex mu_;
  std::list<Entry> lru_;
  std::unordered_map<PlanKey, std::list<Entry>::iterator, PlanKeyHash> map_;
};

PlanCache& plan_cache() {
  static PlanCache* c = new PlanCache();  // never destroyed (see resources())
  return *c;
}

/// The largest power of two (at most 256, cuBLASLt's default) dividing the address and, for a
/// batch, the batch stride in bytes: the alignment every matrix of the operand has.
uint32_t alignment(const void* p, int64_t stride_bytes) {
  uint64_t v =
      static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)) | static_cast<uint64_t>(stride_bytes);
  uint32_t a = 256;
  while (a > 1 && v % a != 0)
    a >>= 1;
  return a;
}

size_t dtype_size(cudaDataType t) {
  switch (t) {
    case CUDA_R_16F:
    case CUDA_R_16BF:
      return 2;
    case CUDA_R_32F:
      return 4;
    case CUDA_R_64F:
    case CUDA_C_32F:
      return 8;
    default:
      throw std::invalid_argument("[matmul] Unsupported cuBLASLt data type " +
                                  std::to_string(static_cast<int>(t)) + ".");
  }
}

cudaDataType scale_type(cudaDataType dt, cublasComputeType_t compute) {
  if (compute == CUBLAS_COMPUTE_64F) return CUDA_R_64F;
  if (dt == CUDA_C_32F) return CUDA_C_32F;
  return CUDA_R_32F;
}

void set_batch(cublasLtMatrixLayout_t l, int64_t batch, int64_t stride) {
  if (batch <= 1) return;
  const int32_t count = static_cast<int32_t>(batch);
  TANDEM_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT,
                                                       &count, sizeof(count)));
  TANDEM_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(
      l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)));
}

/// Whether `algo` keeps split-K partial sums in float32: no split (scheme NONE) or a reduction
/// in the compute type. Unknown (the query fails): no.
bool float32_reduction(const cublasLtMatmulAlgo_t& algo) {
  uint32_t scheme = CUBLASLT_REDUCTION_SCHEME_MASK;
  size_t written = 0;
  if (cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME, &scheme,
                                           sizeof(scheme), &written) != CUBLAS_STATUS_SUCCESS) {
    return false;
  }
  return scheme == CUBLASLT_REDUCTION_SCHEME_NONE ||
         scheme == CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE;
}

/// Builds the descriptors and asks the heuristic for the best algorithm (the one query per
/// shape). Descriptor failures throw; a heuristic without an answer gives an unusable plan.
std::shared_ptr<Plan> make_plan(cublasLtHandle_t h, const GemmArgs& g, const PlanKey& key) {
  auto plan = std::make_shared<Plan>();
  TANDEM_CUBLAS_CHECK(
      cublasLtMatmulDescCreate(&plan->desc, g.compute, scale_type(g.dtype, g.compute)));
  const int32_t ta = g.trans_a, tb = g.trans_b;
  TANDEM_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
  TANDEM_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
  // Layouts describe the stored matrices (before op): A is m x k, or k x m when transposed.
  const bool na = g.trans_a == CUBLAS_OP_N, nb = g.trans_b == CUBLAS_OP_N;
  TANDEM_CUBLAS_CHECK(
      cublasLtMatrixLayoutCreate(&plan->la, g.dtype, na ? g.m : g.k, na ? g.k : g.m, g.lda));
  TANDEM_CUBLAS_CHECK(
      cublasLtMatrixLayoutCreate(&plan->lb, g.dtype, nb ? g.k : g.n, nb ? g.n : g.k, g.ldb));
  TANDEM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->lc, g.dtype, g.m, g.n, g.ldc));
  set_batch(plan->la, g.batch, g.stride_a);
  set_batch(plan->lb, g.batch, g.stride_b);
  set_batch(plan->lc, g.batch, g.stride_c);

  const uint64_t ws = key.workspace;
  const bool half = g.dtype == CUDA_R_16F || g.dtype == CUDA_R_16BF;
  // 16-bit products accumulate in float32 all the way (as on the CPU): split-K partial sums may
  // be kept in float32 (CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE) but not in the 16-bit output
  // type (INPLACE, OUTPUT_TYPE). The preference's mask is the documented filter; should it
  // leave nothing (its documentation does not say whether algorithms without split-K pass a
  // mask that lacks the NONE value 0), a second query without the mask checks each candidate's
  // reduction scheme here, so that 16-bit products never fall back to cuBLAS over it.
  auto query = [&](bool masked, cublasLtMatmulHeuristicResult_t* results, int want) {
    cublasLtMatmulPreference_t pref;
    TANDEM_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
    int found = 0;
    cublasStatus_t st = cublasLtMatmulPreferenceSetAttribute(
        pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws));
    const uint32_t al[4] = {key.align_a, key.align_b, key.align_c, key.align_c};
    const cublasLtMatmulPreferenceAttributes_t attrs[4] = {
        CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
        CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES};
    for (int i = 0; i < 4 && st == CUBLAS_STATUS_SUCCESS; ++i) {
      st = cublasLtMatmulPreferenceSetAttribute(pref, attrs[i], &al[i], sizeof(al[i]));
    }
    if (st == CUBLAS_STATUS_SUCCESS && masked) {
      const uint32_t mask = CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE;
      st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK,
                                                &mask, sizeof(mask));
    }
    if (st == CUBLAS_STATUS_SUCCESS) {
      st = cublasLtMatmulAlgoGetHeuristic(h, plan->desc, plan->la, plan->lb, plan->lc, plan->lc,
                                          pref, want, results, &found);
    }
    (void)cublasLtMatmulPreferenceDestroy(pref);
    // Any refusal (NOT_SUPPORTED, or INVALID_VALUE for a combination cuBLASLt does not take)
    // means: no algorithm from this query.
    return st == CUBLAS_STATUS_SUCCESS ? found : 0;
  };
  auto usable = [&](const cublasLtMatmulHeuristicResult_t& r) {
    return r.state == CUBLAS_STATUS_SUCCESS && r.workspaceSize <= ws;
  };
  constexpr int kWant = 8;
  cublasLtMatmulHeuristicResult_t results[kWant] = {};
  const int found = query(half, results, kWant);
  for (int i = 0; i < found; ++i) {
    if (usable(results[i])) {
      plan->algo = results[i].algo;
      plan->usable = true;
      return plan;
    }
  }
  if (half) {
    const int more = query(false, results, kWant);
    for (int i = 0; i < more; ++i) {
      if (usable(results[i]) && float32_reduction(results[i].algo)) {
        plan->algo = results[i].algo;
        plan->usable = true;
        return plan;
      }
    }
  }
  return plan;
}

}  // namespace

bool lt_matmul(Encoder& enc, const GemmArgs& g) {
  const int64_t isz = static_cast<int64_t>(dtype_size(g.dtype));
  const StreamResources res = stream_resources(enc);
  const bool batched = g.batch > 1;
  PlanKey key{enc.device(),
              static_cast<int>(g.dtype),
              static_cast<int>(g.compute),
              static_cast<int>(g.trans_a),
              static_cast<int>(g.trans_b),
              g.m,
              g.n,
              g.k,
              g.lda,
              g.ldb,
              g.ldc,
              g.batch,
              batched ? g.stride_a : 0,
              batched ? g.stride_b : 0,
              batched ? g.stride_c : 0,
              alignment(g.a, batched ? g.stride_a * isz : 0),
              alignment(g.b, batched ? g.stride_b * isz : 0),
              alignment(g.c, batched ? g.stride_c * isz : 0),
              static_cast<uint64_t>(res.workspace_size)};
  cublasLtHandle_t h = res.handle;
  std::shared_ptr<Plan> plan = plan_cache().find(key);
  if (plan) {
    g_hits.fetch_add(1, std::memory_order_relaxed);
  } else {
    g_misses.fetch_add(1, std::memory_order_relaxed);
    plan = plan_cache().insert(key, make_plan(h, g, key));
  }
  if (!plan->usable || plan->rejected.load(std::memory_order_relaxed)) return false;

  const float one_f = 1.0f, zero_f = 0.0f;
  const double one_d = 1.0, zero_d = 0.0;
  const float one_c[2] = {1.0f, 0.0f}, zero_c[2] = {0.0f, 0.0f};
  const cudaDataType st = scale_type(g.dtype, g.compute);
  const void* alpha = st == CUDA_R_64F   ? static_cast<const void*>(&one_d)
                      : st == CUDA_C_32F ? static_cast<const void*>(one_c)
                                         : static_cast<const void*>(&one_f);
  const void* beta = st == CUDA_R_64F   ? static_cast<const void*>(&zero_d)
                     : st == CUDA_C_32F ? static_cast<const void*>(zero_c)
                                        : static_cast<const void*>(&zero_f);
  cublasStatus_t s =
      cublasLtMatmul(h, plan->desc, alpha, g.a, plan->la, g.b, plan->lb, beta, g.c, plan->lc, g.c,
                     plan->lc, &plan->algo, res.workspace, res.workspace_size, enc.stream());
  if (s == CUBLAS_STATUS_NOT_SUPPORTED) {
    plan->rejected.store(true, std::memory_order_relaxed);  // nothing was queued: fall back
    return false;
  }
  if (s != CUBLAS_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("[cuBLASLt] cublasLtMatmul failed: ") +
                             cublasGetStatusString(s) + " (m " + std::to_string(g.m) + ", n " +
                             std::to_string(g.n) + ", k " + std::to_string(g.k) + ", batch " +
                             std::to_string(g.batch) + ").");
  }
  enc.count_op();
  return true;
}

void note_matmul_fallback() {
  g_fallbacks.fetch_add(1, std::memory_order_relaxed);
}

void note_matmul_gemv() {
  g_gemv.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace tandem::cuda

namespace tandem::gpu {

MatmulStats matmul_stats() {
  using namespace tandem::cuda;
  return {g_hits.load(), g_misses.load(), g_fallbacks.load(), g_gemv.load(), plan_cache().size()};
}

}  // namespace tandem::gpu
