// Copyright © 2026 Tandem authors.
// Random numbers (MLX's random.h): counter-based Threefry with explicit keys. A key is a uint32
// array of shape (2,). Functions without a key split the global key (set by seed()). For the same
// key and shape, the bits are identical on every device.
#pragma once

#include <optional>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem::random {

/// A key from a 64-bit seed: {seed >> 32, seed & 0xffffffff}.
array key(uint64_t seed);
/// Reset the global key.
void seed(uint64_t seed);
/// `num` new keys (shape (num, 2)) derived from `key`.
array split(const array& key, int num, StreamOrDevice s = {});
/// Two new keys.
std::pair<array, array> split(const array& key, StreamOrDevice s = {});

/// Random bits: elements of `width` bytes (1, 2 or 4; uint8/uint16/uint32).
array bits(const Shape& shape, int width, const std::optional<array>& key = std::nullopt,
           StreamOrDevice s = {});
inline array bits(const Shape& shape, const std::optional<array>& key = std::nullopt,
                  StreamOrDevice s = {}) {
  return bits(shape, 4, key, s);
}

/// Uniform in [low, high) (low and high broadcast with shape).
array uniform(const array& low, const array& high, const Shape& shape, Dtype dtype = float32,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
template <typename T, typename U>
requires(detail::is_element_type_v<T>&& detail::is_element_type_v<U>) array
    uniform(T low, U high, const Shape& shape, Dtype dtype = float32,
            const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return uniform(array(low), array(high), shape, dtype, key, s);
}
array uniform(const Shape& shape, Dtype dtype, const std::optional<array>& key = std::nullopt,
              StreamOrDevice s = {});
array uniform(const Shape& shape, const std::optional<array>& key = std::nullopt,
              StreamOrDevice s = {});

/// Normal with mean loc and standard deviation scale.
array normal(const Shape& shape, Dtype dtype, const std::optional<array>& loc,
             const std::optional<array>& scale, const std::optional<array>& key = std::nullopt,
             StreamOrDevice s = {});
array normal(const Shape& shape, Dtype dtype, float loc, float scale,
             const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
array normal(const Shape& shape, float loc, float scale,
             const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
array normal(const Shape& shape, Dtype dtype, const std::optional<array>& key = std::nullopt,
             StreamOrDevice s = {});
array normal(const Shape& shape, const std::optional<array>& key = std::nullopt,
             StreamOrDevice s = {});

/// Standard normal truncated to [lower, upper].
array truncated_normal(const array& lower, const array& upper, const Shape& shape,
                       Dtype dtype = float32, const std::optional<array>& key = std::nullopt,
                       StreamOrDevice s = {});
array truncated_normal(const array& lower, const array& upper, Dtype dtype = float32,
                       const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

/// Integers uniform in [low, high).
array randint(const array& low, const array& high, const Shape& shape, Dtype dtype = int32,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
template <typename T, typename U>
requires(detail::is_element_type_v<T>&& detail::is_element_type_v<U>) array
    randint(T low, U high, const Shape& shape, Dtype dtype = int32,
            const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return randint(array(low), array(high), shape, dtype, key, s);
}

/// True with probability p.
array bernoulli(const array& p, const Shape& shape, const std::optional<array>& key = std::nullopt,
                StreamOrDevice s = {});
array bernoulli(const array& p, const std::optional<array>& key = std::nullopt,
                StreamOrDevice s = {});
template <typename T>
requires detail::is_element_type_v<T> array
bernoulli(T p, const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return bernoulli(array(p), key, s);
}
template <typename T>
requires detail::is_element_type_v<T> array
bernoulli(T p, const Shape& shape, const std::optional<array>& key = std::nullopt,
          StreamOrDevice s = {}) {
  return bernoulli(array(p), shape, key, s);
}
array bernoulli(const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

/// Standard Gumbel samples.
array gumbel(const Shape& shape, Dtype dtype = float32,
             const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
/// Laplace samples with location loc and scale.
array laplace(const Shape& shape, Dtype dtype, float loc, float scale,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
array laplace(const Shape& shape, float loc, float scale,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
array laplace(const Shape& shape, Dtype dtype, const std::optional<array>& key = std::nullopt,
              StreamOrDevice s = {});
array laplace(const Shape& shape, const std::optional<array>& key = std::nullopt,
              StreamOrDevice s = {});

/// Samples from the categorical distribution given unnormalised log-probabilities along axis;
/// `shape` is the output shape (must broadcast with logits' shape without axis).
array categorical(const array& logits, int axis, const Shape& shape,
                  const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
array categorical(const array& logits_, int axis, int num_samples,
                  const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
array categorical(const array& logits, int axis = -1,
                  const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

/// Samples of the multivariate normal N(mean, cov): mean (..., n), cov (..., n, n) symmetric
/// positive semi-definite (not checked). The output has shape broadcast(shape, mean.shape[:-1],
/// cov.shape[:-2]) + (n,). dtype float32 or float64. Uses the SVD of cov, so singular
/// covariances are fine. Runs on the CPU (the SVD has no GPU kernel yet).
array multivariate_normal(const array& mean, const array& cov, const Shape& shape, Dtype dtype,
                          const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

/// A copy of x with its slices along `axis` in random order (argsort of random bits).
array permutation(const array& x, int axis = 0, const std::optional<array>& key = std::nullopt,
                  StreamOrDevice s = {});
/// A random permutation of arange(n), uint32.
array permutation(int n, const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

}  // namespace tandem::random
