// Copyright © 2026 Tandem authors.
// The Tandem version. These numbers must equal `project(Tandem VERSION ...)` in CMakeLists.txt;
// the build checks that they do.
#pragma once

#define TANDEM_VERSION_MAJOR 0
#define TANDEM_VERSION_MINOR 1
#define TANDEM_VERSION_PATCH 0
#define TANDEM_VERSION "0.1.0"

/// One integer for compile-time comparisons: MAJOR * 10000 + MINOR * 100 + PATCH.
#define TANDEM_VERSION_NUMBER \
  (TANDEM_VERSION_MAJOR * 10000 + TANDEM_VERSION_MINOR * 100 + TANDEM_VERSION_PATCH)

namespace tandem {

/// The version of the Tandem library the program runs with ("0.1.0"). It can differ from
/// TANDEM_VERSION (the version of the headers it was compiled against) if the shared library was
/// swapped for another one with the same SONAME.
const char* version();

}  // namespace tandem
