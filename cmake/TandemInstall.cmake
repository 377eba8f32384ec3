# Copyright © 2026 Tandem authors.
#
# Installation and packaging of Tandem: headers, the shared library, a CMake package
# (find_package(Tandem) -> Tandem::tandem) and a pkg-config file (tandem.pc).
# Included from the top-level CMakeLists.txt after the `tandem` target is defined.
#
# Everything installed is relocatable: the CMake files find the prefix relative to their own
# location and tandem.pc uses ${pcfiledir}, so no path of the build machine is recorded and an
# install tree can be moved or staged (cmake --install <build> --prefix <dir>, or DESTDIR=...).

include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# ---- the version in include/tandem/version.h must be project(VERSION) ----
file(STRINGS "${PROJECT_SOURCE_DIR}/include/tandem/version.h" _tandem_version_lines
     REGEX "^#define TANDEM_VERSION(_MAJOR|_MINOR|_PATCH)? ")
foreach(_part MAJOR MINOR PATCH)
  set(_tandem_header_${_part} "")
  foreach(_line IN LISTS _tandem_version_lines)
    if(_line MATCHES "^#define TANDEM_VERSION_${_part} +([0-9]+)")
      set(_tandem_header_${_part} "${CMAKE_MATCH_1}")
    endif()
  endforeach()
endforeach()
set(_tandem_header_string "")
foreach(_line IN LISTS _tandem_version_lines)
  if(_line MATCHES "^#define TANDEM_VERSION +\"([^\"]*)\"")
    set(_tandem_header_string "${CMAKE_MATCH_1}")
  endif()
endforeach()
set(_tandem_header_version
    "${_tandem_header_MAJOR}.${_tandem_header_MINOR}.${_tandem_header_PATCH}")
if(NOT _tandem_header_version STREQUAL PROJECT_VERSION
   OR NOT _tandem_header_string STREQUAL PROJECT_VERSION)
  message(FATAL_ERROR
    "Tandem: include/tandem/version.h says ${_tandem_header_version} (TANDEM_VERSION "
    "\"${_tandem_header_string}\") but CMakeLists.txt says project(Tandem VERSION "
    "${PROJECT_VERSION}). Update both together (and CHANGELOG.md).")
endif()
unset(_tandem_version_lines)
unset(_tandem_header_string)
unset(_tandem_header_version)

# ---- properties of the installed library ----
# Consumers compile against C++20 headers: make that part of the exported interface.
target_compile_features(tandem PUBLIC cxx_std_20)
# The installed library looks for its own dependencies next to itself first ($ORIGIN, relative,
# so the install tree can move), then in the directories it was linked from that lie outside the
# project (e.g. the CUDA toolkit's library directory when it is not in the loader's default
# path). Directories of the build and source trees are never recorded.
set_target_properties(tandem PROPERTIES
  INSTALL_RPATH "$ORIGIN"
  INSTALL_RPATH_USE_LINK_PATH ON)

set(TANDEM_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/Tandem"
    CACHE STRING "Where to install the Tandem CMake package files (relative to the prefix)")
mark_as_advanced(TANDEM_INSTALL_CMAKEDIR)

# ---- install rules ----
# The target's INSTALL_INTERFACE include directory is "include"; add the GNU one if it differs.
set(_tandem_includes_destination "")
if(NOT CMAKE_INSTALL_INCLUDEDIR STREQUAL "include")
  set(_tandem_includes_destination INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
endif()
install(TARGETS tandem
  EXPORT TandemTargets
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
    COMPONENT Tandem_Runtime
    NAMELINK_COMPONENT Tandem_Development
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT Tandem_Development
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT Tandem_Runtime
  ${_tandem_includes_destination})
unset(_tandem_includes_destination)

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/tandem"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  COMPONENT Tandem_Development
  FILES_MATCHING PATTERN "*.h")

install(EXPORT TandemTargets
  NAMESPACE Tandem::
  FILE TandemTargets.cmake
  DESTINATION "${TANDEM_INSTALL_CMAKEDIR}"
  COMPONENT Tandem_Development)

# ---- CMake package config ----
# The CUDA toolkit the library was built against (recorded in the config; empty without CUDA).
set(TANDEM_CUDA_VERSION "")
if(TANDEM_WITH_CUDA AND CUDAToolkit_VERSION)
  set(TANDEM_CUDA_VERSION "${CUDAToolkit_VERSION}")
endif()
configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/TandemConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/TandemConfig.cmake"
  INSTALL_DESTINATION "${TANDEM_INSTALL_CMAKEDIR}"
  NO_SET_AND_CHECK_MACRO)
# While Tandem is 0.x, a minor release may change the API and the ABI (the SONAME is
# libtandem.so.MAJOR.MINOR), so a request for 0.1 accepts 0.1.x only: SameMinorVersion.
# SameMajorVersion would let find_package(Tandem 0.1) pick up an incompatible 0.2. From 1.0 on,
# switch to SameMajorVersion together with a SOVERSION of MAJOR.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/TandemConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/TandemConfig.cmake"
  "${PROJECT_BINARY_DIR}/TandemConfigVersion.cmake"
  DESTINATION "${TANDEM_INSTALL_CMAKEDIR}"
  COMPONENT Tandem_Development)

# ---- pkg-config ----
# tandem.pc lives in <libdir>/pkgconfig; its prefix is computed from ${pcfiledir} so that the file
# stays valid wherever the tree is installed or moved. Absolute install dirs are used as given.
set(_tandem_pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${_tandem_pc_dir}")
  set(TANDEM_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _tandem_pc_up "/__prefix__/${_tandem_pc_dir}" "/__prefix__")
  string(REGEX REPLACE "/$" "" _tandem_pc_up "${_tandem_pc_up}")
  set(TANDEM_PC_PREFIX "\${pcfiledir}/${_tandem_pc_up}")
endif()
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(TANDEM_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(TANDEM_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
configure_file("${CMAKE_CURRENT_LIST_DIR}/tandem.pc.in" "${PROJECT_BINARY_DIR}/tandem.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/tandem.pc"
  DESTINATION "${_tandem_pc_dir}"
  COMPONENT Tandem_Development)
unset(_tandem_pc_dir)
unset(_tandem_pc_up)

# ---- the packaging test ----
# Installs this build into a staging prefix inside the build tree, builds examples/consumer against
# it as an unrelated project would, runs it, checks pkg-config, and checks that the installed
# package files record no path of the build or source tree. See tests/consumer_test.cmake.
if(TANDEM_BUILD_TESTS)
  enable_testing()
  find_program(TANDEM_PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf)
  mark_as_advanced(TANDEM_PKG_CONFIG_EXECUTABLE)
  add_test(NAME consumer_package
    COMMAND "${CMAKE_COMMAND}"
      "-DTANDEM_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
      "-DTANDEM_BINARY_DIR=${PROJECT_BINARY_DIR}"
      "-DTANDEM_VERSION=${PROJECT_VERSION}"
      "-DWORK_DIR=${PROJECT_BINARY_DIR}/consumer_package"
      "-DCONFIG=$<CONFIG>"
      "-DGENERATOR=${CMAKE_GENERATOR}"
      "-DGENERATOR_PLATFORM=${CMAKE_GENERATOR_PLATFORM}"
      "-DGENERATOR_TOOLSET=${CMAKE_GENERATOR_TOOLSET}"
      "-DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}"
      "-DCXX_COMPILER=${CMAKE_CXX_COMPILER}"
      "-DINSTALL_PREFIX=${CMAKE_INSTALL_PREFIX}"
      "-DINSTALL_LIBDIR=${CMAKE_INSTALL_LIBDIR}"
      "-DINSTALL_CMAKEDIR=${TANDEM_INSTALL_CMAKEDIR}"
      "-DPKG_CONFIG=${TANDEM_PKG_CONFIG_EXECUTABLE}"
      -P "${PROJECT_SOURCE_DIR}/tests/consumer_test.cmake")
  set_tests_properties(consumer_package PROPERTIES
    TIMEOUT 120
    LABELS packaging
    # It writes the staging tree; no other test touches it, but two runs of it must not overlap.
    RESOURCE_LOCK tandem_consumer_package)
endif()
