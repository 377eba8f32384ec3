// Copyright © 2026 Tandem authors.
// Sorting, selection and scan ops (part of ops.h; included from it).
#pragma once

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {}  // namespace tandem
