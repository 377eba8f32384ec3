// Copyright © 2026 Tandem authors.
// Parameter initialisers (mlx.nn.init). Each function returns an Initializer: given an array it
// returns a new array of the same shape (and the initialiser's dtype) with fresh values. Random
// initialisers draw from `key` when one is given (the same values on every call) and otherwise
// from the global key (see random::seed).
//
// Departure from MLX: MLX's Glorot/He initialisers take `gain` (and He's `mode`) when the returned
// function is called; here they are arguments of the factory, so every Initializer has one type.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "tandem/array.h"

namespace tandem::nn::init {

/// Maps an array to a new array of the same shape.
using Initializer = std::function<array(const array&)>;

/// Every element equal to `value`.
Initializer constant(float value, Dtype dtype = float32);
/// Normal with mean `mean` and standard deviation `std`.
Initializer normal(float mean = 0.0f, float std = 1.0f, Dtype dtype = float32,
                   std::optional<array> key = std::nullopt);
/// Uniform in [low, high).
Initializer uniform(float low = 0.0f, float high = 1.0f, Dtype dtype = float32,
                    std::optional<array> key = std::nullopt);
/// The identity matrix (the input must be a square 2-d array).
Initializer identity(Dtype dtype = float32);
/// Glorot (Xavier) normal: std = gain * sqrt(2 / (fan_in + fan_out)).
Initializer glorot_normal(Dtype dtype = float32, float gain = 1.0f,
                          std::optional<array> key = std::nullopt);
/// Glorot (Xavier) uniform: U(-l, l) with l = gain * sqrt(6 / (fan_in + fan_out)).
Initializer glorot_uniform(Dtype dtype = float32, float gain = 1.0f,
                           std::optional<array> key = std::nullopt);
/// He (Kaiming) normal: std = gain / sqrt(fan), fan = fan_in or fan_out ("fan_in"/"fan_out").
Initializer he_normal(Dtype dtype = float32, const std::string& mode = "fan_in", float gain = 1.0f,
                      std::optional<array> key = std::nullopt);
/// He (Kaiming) uniform: U(-l, l) with l = gain * sqrt(3 / fan).
Initializer he_uniform(Dtype dtype = float32, const std::string& mode = "fan_in", float gain = 1.0f,
                       std::optional<array> key = std::nullopt);

/// MLX's fan computation: 2-d (out, in): fan_in = in, fan_out = out; n-d (out, ..., in):
/// fan_in = in * r, fan_out = out * r with r the product of the middle extents. Needs ndim >= 2.
std::pair<int, int> calculate_fan_in_fan_out(const array& a);

}  // namespace tandem::nn::init
