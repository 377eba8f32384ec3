// Copyright © 2026 Tandem authors.
#include "backend/cpu/blas_threads.h"

#include <cstdlib>
#include <mutex>
#include <string>

#include "backend/cpu/threading.h"

// OpenBLAS's thread control; weak, so that a build against another BLAS still links (the
// pointers are then null and that BLAS keeps its own threading).
extern "C" {
void openblas_set_num_threads(int) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));
}

namespace tandem::cpu {

namespace {

std::mutex& scope_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

bool blas_on_pool() {
  static const bool on = [] {
    const char* e = std::getenv("TANDEM_BLAS_THREADS");
    if (e && std::string(e) == "openblas") return false;
    if (!openblas_set_num_threads) return false;
    openblas_set_num_threads(1);
    return true;
  }();
  return on;
}

BlasThreadsScope::BlasThreadsScope() : active_(blas_on_pool() && num_threads() > 1) {
  if (!active_) return;
  scope_mutex().lock();
  openblas_set_num_threads(num_threads());
}

BlasThreadsScope::~BlasThreadsScope() {
  if (!active_) return;
  openblas_set_num_threads(1);
  scope_mutex().unlock();
}

}  // namespace tandem::cpu
