// Copyright © 2026 Tandem authors.
// Who runs the threads of a BLAS call: by default Tandem's pool, with OpenBLAS single-threaded.
//
// OpenBLAS's own worker threads keep spinning (sched_yield loops, about 2^28 cycles) after every
// threaded call. Between two calls Tandem's pool runs the surrounding kernels (im2col, bias,
// activations) on the same cores, so both sets of threads compete: on the 2-core development VM
// a conv layer took 12-40 ms and the MLP training step 13-53 ms from run to run under load, 9.6
// ms every time with OpenBLAS single-threaded. So Tandem sets OpenBLAS to one thread and splits
// large products over its own pool (gemm.h), whose idle workers sleep. LAPACK routines on large
// matrices (blocked algorithms Tandem cannot split) get OpenBLAS's threads back for the call
// (BlasThreadsScope). TANDEM_BLAS_THREADS=openblas keeps OpenBLAS's own threading instead.
#pragma once

namespace tandem::cpu {

/// True (after setting OpenBLAS to one thread, on the first call) when Tandem's pool splits
/// BLAS calls; false with TANDEM_BLAS_THREADS=openblas or a BLAS without
/// openblas_set_num_threads (which then threads as it likes).
bool blas_on_pool();

/// Within its scope OpenBLAS may use as many threads as Tandem's pool has (for one LAPACK call
/// on a large matrix); single-threaded again after. Scopes are serialised by a mutex.
class BlasThreadsScope {
 public:
  BlasThreadsScope();
  ~BlasThreadsScope();
  BlasThreadsScope(const BlasThreadsScope&) = delete;
  BlasThreadsScope& operator=(const BlasThreadsScope&) = delete;

 private:
  bool active_;
};

}  // namespace tandem::cpu
