// Copyright © 2026 Tandem authors.
// The umbrella header: everything a Tandem program needs.
#pragma once

#include "tandem/array.h"
#include "tandem/data.h"
#include "tandem/device.h"
#include "tandem/dtype.h"
#include "tandem/fast.h"
#include "tandem/fft.h"
#include "tandem/io.h"
#include "tandem/linalg.h"
#include "tandem/memory.h"
#include "tandem/ops.h"
#include "tandem/ops_quantized.h"
#include "tandem/random.h"
#include "tandem/stream.h"
#include "tandem/transforms.h"
#include "tandem/utils.h"
#include "tandem/version.h"
#include "tandem/nn.h"
#include "tandem/optimizers.h"
