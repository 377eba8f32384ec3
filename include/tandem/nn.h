// Copyright © 2026 Tandem authors.
// Neural networks in C++ (mlx.nn): the Module base class and parameter trees, layers (linear,
// convolution, pooling, upsampling, normalisation, recurrent, transformer), activations,
// initialisers (nn::init) and losses (nn::losses). Names and semantics follow MLX's Python
// package; see each header for the details.
#pragma once

#include "tandem/nn/activations.h"
#include "tandem/nn/convolution.h"
#include "tandem/nn/init.h"
#include "tandem/nn/layers.h"
#include "tandem/nn/losses.h"
#include "tandem/nn/module.h"
#include "tandem/nn/pooling.h"
#include "tandem/nn/recurrent.h"
#include "tandem/nn/transformer.h"
#include "tandem/nn/upsample.h"
