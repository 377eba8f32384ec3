// Copyright © 2026 Tandem authors.
// The errors of the linear algebra kernels, shared by the CPU (backend/cpu/linalg.cpp) and GPU
// (backend/cuda/linalg.cu) backends so that both raise the same messages. `info` is LAPACK's
// status word (1-based index of the offending pivot, diagonal element or minor); `b` the matrix
// of a batch of `count`.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace tandem::linalg_errors {

inline std::string batch_note(int64_t b, int64_t count) {
  return count > 1 ? " (matrix " + std::to_string(b) + " of the batch)" : "";
}

/// Throws "[op] msg (matrix b of the batch)." (the note only for batches).
[[noreturn]] inline void fail(const std::string& op, const std::string& msg, int64_t b,
                              int64_t count) {
  throw std::runtime_error("[" + op + "] " + msg + batch_note(b, count) + ".");
}

inline std::string zero_pivot(int info) {
  return "The matrix is singular: pivot " + std::to_string(info - 1) +
         " of its LU factorisation is zero";
}

inline std::string zero_diagonal(int info) {
  return "The matrix is singular: diagonal element " + std::to_string(info - 1) + " is zero";
}

inline std::string not_positive_definite(int info) {
  return "The matrix is not positive definite (its leading minor of order " + std::to_string(info) +
         " is not positive)";
}

inline const char* no_convergence() {
  return "The eigenvalue algorithm did not converge";
}

}  // namespace tandem::linalg_errors
