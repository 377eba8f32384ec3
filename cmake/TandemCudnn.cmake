# Copyright © 2026 Tandem authors.
#
# Optional cuDNN for the CUDA backend's convolutions. Included from the top-level CMakeLists.txt
# after CUDA detection (needs TANDEM_WITH_CUDA and the CUDAToolkit_* variables). Sets
# TANDEM_WITH_CUDNN (ON/OFF), TANDEM_CUDNN_INCLUDE_DIR and TANDEM_CUDNN_LIBRARY.
#
# GPU convolutions use cuDNN 9 when its header and library are found, else im2col + cuBLAS only.
# Looked for in CUDNN_ROOT, the CUDA toolkit, the pip package nvidia-cudnn-cu13 / -cu12 of the
# first python3 on PATH (site-packages/nvidia/cudnn, a namespace package: its __path__, not
# __file__), then the system's default paths. TANDEM_CUDNN=OFF skips it; at run time
# TANDEM_CONV_CUDNN=0 turns the cuDNN path off. The library is linked by its full path, so the
# build tree's RPATH (and the install RPATH, INSTALL_RPATH_USE_LINK_PATH) find it.
set(TANDEM_CUDNN AUTO CACHE STRING "Use cuDNN for GPU convolutions: AUTO (when found) or OFF")
set_property(CACHE TANDEM_CUDNN PROPERTY STRINGS AUTO OFF)
set(TANDEM_WITH_CUDNN OFF)
if(TANDEM_WITH_CUDA AND NOT TANDEM_CUDNN STREQUAL "OFF")
  # Candidate installation roots, in order of preference.
  set(_tandem_cudnn_roots "")
  if(CUDNN_ROOT)
    list(APPEND _tandem_cudnn_roots "${CUDNN_ROOT}")
  endif()
  if(DEFINED ENV{CUDNN_ROOT})
    list(APPEND _tandem_cudnn_roots "$ENV{CUDNN_ROOT}")
  endif()
  foreach(_d ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_INCLUDE_DIRS})
    get_filename_component(_d "${_d}" DIRECTORY)
    list(APPEND _tandem_cudnn_roots "${_d}")
  endforeach()
  list(APPEND _tandem_cudnn_roots ${CUDAToolkit_LIBRARY_ROOT} ${CUDAToolkit_TARGET_DIR})
  find_program(TANDEM_PYTHON3 NAMES python3 python)
  if(TANDEM_PYTHON3)
    execute_process(
      COMMAND "${TANDEM_PYTHON3}" -c "import nvidia.cudnn as m; print(list(m.__path__)[0])"
      RESULT_VARIABLE _tandem_py_rc OUTPUT_VARIABLE _tandem_py_cudnn
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(_tandem_py_rc EQUAL 0 AND IS_DIRECTORY "${_tandem_py_cudnn}")
      list(APPEND _tandem_cudnn_roots "${_tandem_py_cudnn}")
    endif()
  endif()
  # The header and the library come from the same root (a header of one cuDNN version with the
  # library of another would fail at run time). TANDEM_CUDNN_INCLUDE_DIR / TANDEM_CUDNN_LIBRARY
  # given on the command line are kept as they are.
  if(NOT TANDEM_CUDNN_INCLUDE_DIR OR NOT TANDEM_CUDNN_LIBRARY)
    foreach(_r IN LISTS _tandem_cudnn_roots)
      if(NOT EXISTS "${_r}/include/cudnn.h")
        continue()
      endif()
      set(_lib "")
      # The pip package ships only libcudnn.so.9 (no unversioned link).
      foreach(_l lib64/libcudnn.so lib/libcudnn.so lib64/libcudnn.so.9 lib/libcudnn.so.9)
        if(_lib STREQUAL "" AND EXISTS "${_r}/${_l}")
          set(_lib "${_r}/${_l}")
        endif()
      endforeach()
      if(NOT _lib STREQUAL "")
        set(TANDEM_CUDNN_INCLUDE_DIR "${_r}/include" CACHE PATH "cuDNN's include directory" FORCE)
        set(TANDEM_CUDNN_LIBRARY "${_lib}" CACHE FILEPATH "cuDNN's library" FORCE)
        break()
      endif()
    endforeach()
  endif()
  # Else the system's default paths (e.g. Debian's libcudnn9-dev-cuda-*).
  find_path(TANDEM_CUDNN_INCLUDE_DIR cudnn.h
            PATH_SUFFIXES include/x86_64-linux-gnu include/aarch64-linux-gnu)
  find_library(TANDEM_CUDNN_LIBRARY NAMES cudnn libcudnn.so.9 NAMES_PER_DIR)
  set(_tandem_cudnn_major "")
  foreach(_f cudnn_version.h cudnn.h)
    if(TANDEM_CUDNN_INCLUDE_DIR AND _tandem_cudnn_major STREQUAL ""
       AND EXISTS "${TANDEM_CUDNN_INCLUDE_DIR}/${_f}")
      file(STRINGS "${TANDEM_CUDNN_INCLUDE_DIR}/${_f}" _tandem_l REGEX "^#define CUDNN_MAJOR +[0-9]+")
      if(_tandem_l MATCHES "CUDNN_MAJOR +([0-9]+)")
        set(_tandem_cudnn_major "${CMAKE_MATCH_1}")
      endif()
    endif()
  endforeach()
  if(TANDEM_CUDNN_INCLUDE_DIR AND TANDEM_CUDNN_LIBRARY AND _tandem_cudnn_major GREATER_EQUAL 9)
    set(TANDEM_WITH_CUDNN ON)
    message(STATUS "Tandem: cuDNN ${_tandem_cudnn_major} found (${TANDEM_CUDNN_INCLUDE_DIR}, "
                   "${TANDEM_CUDNN_LIBRARY}): GPU convolutions use cuDNN where it supports them")
  elseif(TANDEM_CUDNN_INCLUDE_DIR AND TANDEM_CUDNN_LIBRARY)
    message(STATUS "Tandem: cuDNN ${_tandem_cudnn_major} found but 9 or newer is needed: "
                   "GPU convolutions use im2col + cuBLAS only")
  else()
    message(STATUS "Tandem: cuDNN not found (header: ${TANDEM_CUDNN_INCLUDE_DIR}, library: "
                   "${TANDEM_CUDNN_LIBRARY}): GPU convolutions use im2col + cuBLAS only")
  endif()
elseif(TANDEM_WITH_CUDA)
  message(STATUS "Tandem: cuDNN off (TANDEM_CUDNN=OFF): GPU convolutions use im2col + cuBLAS only")
endif()
