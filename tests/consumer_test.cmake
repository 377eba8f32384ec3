# Copyright © 2026 Tandem authors.
#
# The `consumer_package` test (registered in cmake/TandemInstall.cmake), run with `cmake -P`:
#   1. installs the Tandem build tree into a staging prefix inside the build tree,
#   2. checks the installed tree: headers, library + SONAME, package files, and that no installed
#      package file (*.cmake, *.pc) nor the library's RUNPATH records a path of the build machine,
#   3. configures and builds examples/consumer against the staged install, as an unrelated project
#      would (find_package(Tandem 0.1) through CMAKE_PREFIX_PATH), and runs it,
#   4. checks `pkg-config --cflags --libs tandem` and builds and runs the example with those flags
#      (skipped with a message when pkg-config is absent).
#
# Inputs (-D): TANDEM_SOURCE_DIR TANDEM_BINARY_DIR TANDEM_VERSION WORK_DIR GENERATOR CXX_COMPILER
#              INSTALL_LIBDIR INSTALL_CMAKEDIR, optional CONFIG GENERATOR_PLATFORM GENERATOR_TOOLSET
#              MAKE_PROGRAM PKG_CONFIG INSTALL_PREFIX (the configured CMAKE_INSTALL_PREFIX).
cmake_minimum_required(VERSION 3.24)

foreach(_var TANDEM_SOURCE_DIR TANDEM_BINARY_DIR TANDEM_VERSION WORK_DIR GENERATOR CXX_COMPILER
             INSTALL_LIBDIR INSTALL_CMAKEDIR)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "consumer_test.cmake: -D${_var}=... is required")
  endif()
endforeach()
if(IS_ABSOLUTE "${INSTALL_LIBDIR}" OR IS_ABSOLUTE "${INSTALL_CMAKEDIR}")
  message(FATAL_ERROR "consumer_test.cmake: CMAKE_INSTALL_LIBDIR and TANDEM_INSTALL_CMAKEDIR must "
                      "be relative to the prefix for a staged install (got ${INSTALL_LIBDIR}, "
                      "${INSTALL_CMAKEDIR})")
endif()

set(stage "${WORK_DIR}/stage")
set(consumer_src "${TANDEM_SOURCE_DIR}/examples/consumer")
set(consumer_build "${WORK_DIR}/consumer-build")
set(failures "")

string(TIMESTAMP _t0 "%s")
function(step_message text)
  string(TIMESTAMP _now "%s")
  math(EXPR _dt "${_now} - ${_t0}")
  message(STATUS "[consumer_package +${_dt}s] ${text}")
endfunction()

# Runs a command; on failure stops the test and shows its output. Its output is left in `step_out`.
function(run_step what)
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc STREQUAL "0")
    string(REPLACE ";" " " _cmd "${ARGN}")
    message(FATAL_ERROR "consumer_package: ${what} failed (exit ${_rc})\n  command: ${_cmd}\n${_out}")
  endif()
  set(step_out "${_out}" PARENT_SCOPE)
endfunction()

# check(<description> <condition...>): records a failure (and goes on) when the condition is false.
function(check description)
  if(NOT (${ARGN}))
    list(APPEND failures "${description}")
    set(failures "${failures}" PARENT_SCOPE)
    message(SEND_ERROR "consumer_package: FAILED: ${description}")
  endif()
endfunction()

set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()

# ---- 1. install into the staging prefix ----
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
step_message("installing ${TANDEM_BINARY_DIR} into ${stage}")
run_step("cmake --install" "${CMAKE_COMMAND}" --install "${TANDEM_BINARY_DIR}" --prefix "${stage}"
         ${config_args})

# ---- 2. the installed tree ----
set(libdir "${stage}/${INSTALL_LIBDIR}")
set(cmakedir "${stage}/${INSTALL_CMAKEDIR}")
foreach(_f
    "${stage}/include/tandem/tandem.h" "${stage}/include/tandem/version.h"
    "${cmakedir}/TandemConfig.cmake" "${cmakedir}/TandemConfigVersion.cmake"
    "${cmakedir}/TandemTargets.cmake" "${libdir}/pkgconfig/tandem.pc")
  check("installed file ${_f} exists" EXISTS "${_f}")
endforeach()

string(REGEX MATCH "^[0-9]+\\.[0-9]+" version_mm "${TANDEM_VERSION}")
set(soname "libtandem.so.${version_mm}")
if(CMAKE_HOST_UNIX AND NOT CMAKE_HOST_APPLE)
  foreach(_f libtandem.so "${soname}" "libtandem.so.${TANDEM_VERSION}")
    check("installed library ${libdir}/${_f} exists" EXISTS "${libdir}/${_f}")
  endforeach()
  if(EXISTS "${libdir}/libtandem.so.${TANDEM_VERSION}")
    set(_lib "${libdir}/libtandem.so.${TANDEM_VERSION}")
    file(READ_ELF "${_lib}" RUNPATH elf_runpath RPATH elf_rpath CAPTURE_ERROR elf_error)
    check("the installed library is a readable ELF file (${elf_error})" NOT elf_error)
    set(installed_search_path "${elf_runpath}:${elf_rpath}")
    # file(READ_ELF) cannot read the SONAME: ask readelf, or look for it in the string table.
    find_program(_readelf NAMES readelf llvm-readelf)
    set(elf_soname "")
    if(_readelf)
      execute_process(COMMAND "${_readelf}" -d "${_lib}" OUTPUT_VARIABLE _dyn ERROR_QUIET)
      if(_dyn MATCHES "Library soname: \\[([^]\n]*)\\]")
        set(elf_soname "${CMAKE_MATCH_1}")
      endif()
    else()
      file(STRINGS "${_lib}" _names REGEX "^libtandem\\.so")
      if(soname IN_LIST _names)
        set(elf_soname "${soname}")
      endif()
    endif()
    check("SONAME of the installed library is ${soname} (got '${elf_soname}')"
          elf_soname STREQUAL soname)
    message(STATUS "installed libtandem: SONAME ${elf_soname}, RUNPATH '${elf_runpath}'"
                   " RPATH '${elf_rpath}'")
  endif()
endif()

# No installed package file may record where Tandem was built: neither the build tree (which also
# holds the staging prefix) nor the source tree, nor any other absolute path. The library's RUNPATH
# must not point into them either.
set(forbidden "${TANDEM_BINARY_DIR}" "${TANDEM_SOURCE_DIR}")
foreach(_dir "${TANDEM_BINARY_DIR}" "${TANDEM_SOURCE_DIR}")
  file(REAL_PATH "${_dir}" _real)
  list(APPEND forbidden "${_real}")
endforeach()
list(REMOVE_DUPLICATES forbidden)
file(GLOB_RECURSE package_files LIST_DIRECTORIES false "${stage}/*.cmake" "${stage}/*.pc")
check("package files were installed" package_files)
foreach(_file IN LISTS package_files)
  file(READ "${_file}" _text)
  foreach(_dir IN LISTS forbidden)
    string(FIND "${_text}" "${_dir}" _pos)
    check("${_file} contains no build-machine path ${_dir}" _pos EQUAL -1)
  endforeach()
  # Nor any other absolute path (a quoted, assigned or listed string that starts with "/") outside
  # comments, except the configured install prefix, which CMake's package helpers name for /usr.
  file(STRINGS "${_file}" _abs_lines REGEX "(^|[ \t\"'=;(:,])/[A-Za-z0-9_.+-]")
  set(_unexpected "")
  foreach(_line IN LISTS _abs_lines)
    if(_line MATCHES "^[ \t]*#")
      continue()
    endif()
    if(INSTALL_PREFIX AND NOT INSTALL_PREFIX STREQUAL "/")
      string(REPLACE "${INSTALL_PREFIX}" "<prefix>" _line "${_line}")
    endif()
    if(_line MATCHES "(^|[ \t\"'=;(:,])/[A-Za-z0-9_.+-]")
      list(APPEND _unexpected "${_line}")
    endif()
  endforeach()
  check("${_file} contains no absolute path (found: ${_unexpected})" NOT _unexpected)
endforeach()
list(LENGTH package_files _n)
step_message("checked ${_n} installed package files for absolute paths")
if(DEFINED installed_search_path)
  foreach(_dir IN LISTS forbidden)
    string(FIND "${installed_search_path}" "${_dir}" _pos)
    check("RUNPATH of the installed library does not point into ${_dir}" _pos EQUAL -1)
  endforeach()
endif()

# ---- 3. an out-of-tree project finds the staged Tandem with find_package ----
set(generator_args -G "${GENERATOR}")
if(GENERATOR_PLATFORM)
  list(APPEND generator_args -A "${GENERATOR_PLATFORM}")
endif()
if(GENERATOR_TOOLSET)
  list(APPEND generator_args -T "${GENERATOR_TOOLSET}")
endif()
if(MAKE_PROGRAM)
  list(APPEND generator_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(CONFIG)
  list(APPEND generator_args "-DCMAKE_BUILD_TYPE=${CONFIG}")
endif()
step_message("configuring examples/consumer against the staged install")
run_step("configuring examples/consumer"
  "${CMAKE_COMMAND}" -S "${consumer_src}" -B "${consumer_build}" ${generator_args}
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  "-DCMAKE_PREFIX_PATH=${stage}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)
# It must have found the staged package, not another Tandem on this machine.
file(STRINGS "${consumer_build}/CMakeCache.txt" _tandem_dir_line REGEX "^Tandem_DIR:")
string(REGEX REPLACE "^Tandem_DIR:[A-Z]+=" "" found_dir "${_tandem_dir_line}")
file(REAL_PATH "${cmakedir}" _expected_dir)
if(found_dir)
  file(REAL_PATH "${found_dir}" found_dir)
endif()
check("examples/consumer found Tandem in the staging prefix (Tandem_DIR=${found_dir})"
      found_dir STREQUAL _expected_dir)

step_message("building examples/consumer")
run_step("building examples/consumer" "${CMAKE_COMMAND}" --build "${consumer_build}" ${config_args})
# Its compile commands use the staged headers, not the source tree's.
if(EXISTS "${consumer_build}/compile_commands.json")
  file(READ "${consumer_build}/compile_commands.json" _cc)
  string(FIND "${_cc}" "${TANDEM_SOURCE_DIR}/include" _pos)
  check("examples/consumer compiles against the installed headers, not ${TANDEM_SOURCE_DIR}/include"
        _pos EQUAL -1)
endif()

set(consumer_exe "")
foreach(_candidate "${consumer_build}/tandem_consumer" "${consumer_build}/${CONFIG}/tandem_consumer"
                   "${consumer_build}/tandem_consumer.exe"
                   "${consumer_build}/${CONFIG}/tandem_consumer.exe")
  if(NOT consumer_exe AND EXISTS "${_candidate}" AND NOT IS_DIRECTORY "${_candidate}")
    set(consumer_exe "${_candidate}")
  endif()
endforeach()
if(NOT consumer_exe)
  message(FATAL_ERROR "consumer_package: the tandem_consumer executable was not found in ${consumer_build}")
endif()

# It loads the staged libtandem (through its RPATH), not the one in the build tree.
if(CMAKE_HOST_UNIX AND NOT CMAKE_HOST_APPLE)
  file(GET_RUNTIME_DEPENDENCIES
    EXECUTABLES "${consumer_exe}"
    RESOLVED_DEPENDENCIES_VAR _resolved
    UNRESOLVED_DEPENDENCIES_VAR _unresolved
    CONFLICTING_DEPENDENCIES_PREFIX _conflicts
    PRE_INCLUDE_REGEXES "^libtandem"
    PRE_EXCLUDE_REGEXES ".*")
  list(FILTER _resolved INCLUDE REGEX "libtandem")
  set(_loaded "")
  foreach(_lib IN LISTS _resolved)
    file(REAL_PATH "${_lib}" _lib)
    list(APPEND _loaded "${_lib}")
  endforeach()
  file(REAL_PATH "${libdir}/libtandem.so.${TANDEM_VERSION}" _staged_lib)
  check("tandem_consumer resolves libtandem to the staged copy (resolved: '${_loaded}', unresolved: '${_unresolved}')"
        _loaded STREQUAL _staged_lib)
endif()

step_message("running ${consumer_exe}")
run_step("running tandem_consumer" "${consumer_exe}")
message("${step_out}")
string(FIND "${step_out}" "consumer: OK" _ok)
check("tandem_consumer printed 'consumer: OK'" NOT _ok EQUAL -1)
string(FIND "${step_out}" "tandem ${TANDEM_VERSION} (headers ${TANDEM_VERSION})" _ver)
check("tandem_consumer reports version ${TANDEM_VERSION}" NOT _ver EQUAL -1)

# ---- 4. pkg-config ----
if(NOT PKG_CONFIG OR NOT EXISTS "${PKG_CONFIG}")
  find_program(_pkg_config_program NAMES pkg-config pkgconf)
  set(PKG_CONFIG "${_pkg_config_program}")
endif()
if(NOT PKG_CONFIG)
  message(STATUS "consumer_package: pkg-config not found; skipping the tandem.pc check "
                 "(install it, e.g. apt-get install pkg-config)")
else()
  step_message("checking tandem.pc with ${PKG_CONFIG}")
  set(ENV{PKG_CONFIG_PATH} "${libdir}/pkgconfig")
  run_step("pkg-config --modversion tandem" "${PKG_CONFIG}" --modversion tandem)
  string(STRIP "${step_out}" pc_version)
  check("pkg-config --modversion tandem is ${TANDEM_VERSION} (got '${pc_version}')"
        pc_version STREQUAL TANDEM_VERSION)
  run_step("pkg-config --cflags --libs tandem" "${PKG_CONFIG}" --cflags --libs tandem)
  string(STRIP "${step_out}" pc_flags)
  message(STATUS "pkg-config --cflags --libs tandem: ${pc_flags}")
  separate_arguments(pc_flag_list UNIX_COMMAND "${pc_flags}")
  set(pc_include "")
  set(pc_libdir "")
  foreach(_flag IN LISTS pc_flag_list)
    if(_flag MATCHES "^-I(.+)")
      set(pc_include "${CMAKE_MATCH_1}")
    elseif(_flag MATCHES "^-L(.+)")
      set(pc_libdir "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  check("pkg-config's -I directory holds tandem/tandem.h (${pc_include})"
        EXISTS "${pc_include}/tandem/tandem.h")
  check("pkg-config's -L directory holds libtandem (${pc_libdir})" EXISTS "${pc_libdir}/libtandem.so")
  check("pkg-config links -ltandem" "-ltandem" IN_LIST pc_flag_list)

  # Build and run the example with nothing but those flags (GCC/Clang-style drivers).
  if(pc_include AND pc_libdir AND NOT CXX_COMPILER MATCHES "cl(\\.exe)?$")
    set(pc_exe "${WORK_DIR}/tandem_consumer_pkgconfig")
    step_message("building examples/consumer/main.cpp with the pkg-config flags")
    run_step("compiling with the pkg-config flags"
      "${CXX_COMPILER}" -std=c++20 "${consumer_src}/main.cpp" ${pc_flag_list} -o "${pc_exe}")
    run_step("running the pkg-config build"
      "${CMAKE_COMMAND}" -E env "LD_LIBRARY_PATH=${pc_libdir}:$ENV{LD_LIBRARY_PATH}" "${pc_exe}")
    string(FIND "${step_out}" "consumer: OK" _ok)
    check("the pkg-config build printed 'consumer: OK'" NOT _ok EQUAL -1)
  endif()
endif()

if(failures)
  list(LENGTH failures _n)
  message(FATAL_ERROR "consumer_package: ${_n} check(s) failed")
endif()
step_message("all checks passed")
