// Copyright © 2026 Tandem authors.
// Tensor and structured matrix products (part of ops.h; included from it). Names, arguments and
// semantics follow MLX (ops.h, einsum.h); vecdot, which MLX lacks, follows NumPy / the array API.
// Every product lowers to matmul (BLAS on the CPU) where something is contracted and to a
// broadcasting multiply where nothing is; integer and bool inputs, which matmul does not take,
// are contracted with multiply + sum instead (NumPy semantics, result in the promoted dtype).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

/// Sum of products over the last `axis` axes of `a` and the first `axis` axes of `b`; the result
/// has a's remaining axes followed by b's.
array tensordot(const array& a, const array& b, const int axis = 2, StreamOrDevice s = {});
/// Sum of products over the axes pairs (axes_a[i], axes_b[i]) (extents must match); the result
/// has a's remaining axes followed by b's, each in their original order.
array tensordot(const array& a, const array& b, const std::vector<int>& axes_a,
                const std::vector<int>& axes_b, StreamOrDevice s = {});

/// Outer product of the flattened inputs: shape (a.size, b.size).
array outer(const array& a, const array& b, StreamOrDevice s = {});
/// Sum of products over the last axes (multiply for 0-d inputs): shape a.shape[:-1] +
/// b.shape[:-1].
array inner(const array& a, const array& b, StreamOrDevice s = {});
/// Kronecker product; the input with fewer axes gets leading 1s. Empty inputs are an error (MLX).
array kron(const array& a, const array& b, StreamOrDevice s = {});
/// sum(conj(a) * b) over `axis` of the broadcast inputs (NumPy / array API); the two extents on
/// that axis must be equal. The axis is removed.
array vecdot(const array& a, const array& b, int axis = -1, StreamOrDevice s = {});

/// Einstein summation, e.g. "ij,jk->ik", "bij,bjk->bik", "ii->" (trace), "ii->i" (diagonal),
/// "...ij,...jk" (implicit output: letters seen once, sorted, after the broadcast "..." axes).
/// Letters of extent 1 broadcast. Several operands are contracted pairwise in a greedy order
/// (see einsum_path); each pair becomes transpose/reshape + matmul.
array einsum(const std::string& subscripts, const std::vector<array>& operands,
             StreamOrDevice s = {});
/// The contraction order einsum uses: for each step the positions, in the current operand list,
/// of the operands it contracts (they are removed and the result is appended), and a printable
/// description (naive and optimized scaling and FLOP counts, then one line per step).
std::pair<std::vector<std::vector<int>>, std::string> einsum_path(
    const std::string& subscripts, const std::vector<array>& operands);

/// Matrix products of gathered matrices: out[i...] = a[lhs[i...]] @ b[rhs[i...]] where a and b
/// are indexed by their flattened batch dimensions (default: every batch in order), the index
/// arrays broadcast together and the output is (index shape..., M, N). 1-d a / b are promoted to
/// matrices as in matmul. `sorted_indices` says the given indices are sorted (a hint).
/// Negative indices wrap; out-of-range ones are clamped. Real floating dtypes only.
array gather_mm(array a, array b, std::optional<array> lhs_indices = std::nullopt,
                std::optional<array> rhs_indices = std::nullopt, bool sorted_indices = false,
                StreamOrDevice s = {});
/// Matrix product computed in block_size x block_size blocks (32 or 64, as MLX) with per-block
/// masks: mask_out (..., ceil(M/bs), ceil(N/bs)), mask_lhs (..., ceil(M/bs), ceil(K/bs)),
/// mask_rhs (..., ceil(K/bs), ceil(N/bs)). Boolean masks keep or zero blocks; floating masks
/// scale them. Without masks this is matmul. Real floating dtypes only.
array block_masked_mm(array a, array b, int block_size,
                      std::optional<array> mask_out = std::nullopt,
                      std::optional<array> mask_lhs = std::nullopt,
                      std::optional<array> mask_rhs = std::nullopt, StreamOrDevice s = {});

/// Matrix products over segments of the inner dimension: a (M, K), b (K, N) and integer
/// `segments` (..., 2) of [start, end) ranges of K; out[..., :, :] = a[:, start:end] @
/// b[start:end, :], shape segments.shape[:-1] + (M, N). Ranges are clamped to [0, K]; an empty
/// range gives zeros. Real floating dtypes only. Computed as a masked matmul (memory
/// proportional to the number of segments times M * K).
array segmented_mm(array a, array b, array segments, StreamOrDevice s = {});

}  // namespace tandem
