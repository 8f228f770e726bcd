# stealing.cmake: the optional peers of two benches, included by
# benches/CMakeLists.txt once every benches/*.c has its target.
#   work_stealing  oneTBB (TL_HAVE_TBB), through benches/tbb_strategies.cpp:
#                  C++ is enabled only when oneTBB is found and wanted.
#   rust_vs_c      the walkthrough's patterns in Rust (benches/rust/*.rs),
#                  built with plain rustc -O (no crates) into
#                  ${CMAKE_BINARY_DIR}/benches/rust/ (TL_HAVE_RUST).
# Each is used where found (TL_WITH_TBB, TL_WITH_RUST: ON by default); one
# missing or switched off is one line here, and the bench leaves its series
# out: never a failed build.
option(TL_WITH_TBB "work_stealing: compare oneTBB where it is found" ON)
option(TL_WITH_RUST "rust_vs_c: build the Rust programs where rustc is found" ON)

# ---- oneTBB ------------------------------------------------------------------------
set(_tl_tbb_target "")
if(TARGET work_stealing AND TL_WITH_TBB)
  # C and C++ objects in one program: the C compiler's own C++ driver (a
  # clang build must not link with g++, whose -fopenmp and sanitizer
  # runtimes differ), unless one was chosen.
  if(NOT DEFINED CMAKE_CXX_COMPILER AND NOT DEFINED ENV{CXX})
    get_filename_component(_tl_cc_dir ${CMAKE_C_COMPILER} DIRECTORY)
    if(CMAKE_C_COMPILER_ID MATCHES "Clang")
      find_program(_tl_cxx NAMES clang++ HINTS ${_tl_cc_dir})
    elseif(CMAKE_C_COMPILER_ID STREQUAL "GNU")
      find_program(_tl_cxx NAMES g++ HINTS ${_tl_cc_dir})
    endif()
    if(_tl_cxx)
      set(CMAKE_CXX_COMPILER ${_tl_cxx} CACHE FILEPATH "C++ compiler (oneTBB series)")
    endif()
  endif()
  include(CheckLanguage)
  check_language(CXX)
  if(CMAKE_CXX_COMPILER)
    find_package(TBB CONFIG QUIET)
    if(TARGET TBB::tbb)
      set(_tl_tbb_target TBB::tbb)
    else()
      pkg_check_modules(TL_TBB QUIET IMPORTED_TARGET tbb)
      if(TL_TBB_FOUND)
        set(_tl_tbb_target PkgConfig::TL_TBB)
      endif()
    endif()
  endif()
  if(_tl_tbb_target)
    enable_language(CXX)
    if(NOT CMAKE_C_COMPILER_ID STREQUAL CMAKE_CXX_COMPILER_ID)
      message(STATUS "oneTBB: the C++ compiler (${CMAKE_CXX_COMPILER_ID}) is not "
                     "the C compiler's (${CMAKE_C_COMPILER_ID}): work_stealing without oneTBB "
                     "(set CMAKE_CXX_COMPILER to match)")
      set(_tl_tbb_target "")
    endif()
  elseif(NOT CMAKE_CXX_COMPILER)
    message(STATUS "oneTBB: no C++ compiler: work_stealing without oneTBB")
  else()
    message(STATUS "oneTBB not found (libtbb-dev): work_stealing without oneTBB")
  endif()
elseif(TARGET work_stealing)
  message(STATUS "oneTBB: TL_WITH_TBB=OFF: work_stealing without oneTBB")
endif()
if(_tl_tbb_target)
  # -Wstrict-prototypes means nothing to C++ (g++ warns about the flag).
  get_property(_tl_opts DIRECTORY PROPERTY COMPILE_OPTIONS)
  list(TRANSFORM _tl_opts REPLACE "^-Wstrict-prototypes$"
       "$<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes>")
  add_library(tl_tbb_strategies STATIC tbb_strategies.cpp)
  set_target_properties(tl_tbb_strategies PROPERTIES COMPILE_OPTIONS "${_tl_opts}"
    CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
  target_link_libraries(tl_tbb_strategies PUBLIC ${_tl_tbb_target})
  target_link_libraries(work_stealing PRIVATE tl_tbb_strategies)
  target_compile_definitions(work_stealing PRIVATE TL_HAVE_TBB=1)
  set(TL_HAVE_TBB ON CACHE INTERNAL "work_stealing compares oneTBB")
  message(STATUS "oneTBB ${TBB_VERSION}${TL_TBB_VERSION}: work_stealing compares it")
else()
  set(TL_HAVE_TBB OFF CACHE INTERNAL "work_stealing compares oneTBB")
endif()

# ---- Rust ------------------------------------------------------------------------------
set(TL_HAVE_RUST OFF CACHE INTERNAL "rust_vs_c compares Rust")
if(TARGET rust_vs_c AND TL_WITH_RUST)
  find_program(TL_RUSTC rustc HINTS $ENV{HOME}/.cargo/bin)
  if(TL_RUSTC)
    set(_tl_rust_dir ${CMAKE_BINARY_DIR}/benches/rust)
    set(_tl_rust_src ${CMAKE_CURRENT_SOURCE_DIR}/rust/patterns.rs)
    add_custom_command(OUTPUT ${_tl_rust_dir}/patterns
      COMMAND ${CMAKE_COMMAND} -E make_directory ${_tl_rust_dir}
      COMMAND ${CMAKE_COMMAND} -E env --unset=MAKEFLAGS --unset=MFLAGS --unset=CARGO_MAKEFLAGS
              ${TL_RUSTC} -O --edition 2021 --crate-name patterns
              -o ${_tl_rust_dir}/patterns ${_tl_rust_src}
      DEPENDS ${_tl_rust_src}
      COMMENT "rustc -O benches/rust/patterns.rs"
      VERBATIM)
    add_custom_target(tl_rust_patterns ALL DEPENDS ${_tl_rust_dir}/patterns)
    add_dependencies(rust_vs_c tl_rust_patterns)
    target_compile_definitions(rust_vs_c PRIVATE TL_HAVE_RUST=1
      "TL_RUST_PATTERNS=\"${_tl_rust_dir}/patterns\"")
    set(TL_HAVE_RUST ON CACHE INTERNAL "rust_vs_c compares Rust")
    set(TL_RUST_PATTERNS ${_tl_rust_dir}/patterns CACHE INTERNAL "the Rust patterns program")
    message(STATUS "Rust: ${TL_RUSTC}: rust_vs_c compares it")
  else()
    message(STATUS "Rust: rustc not found: rust_vs_c measures the C patterns only")
  endif()
elseif(TARGET rust_vs_c)
  message(STATUS "Rust: TL_WITH_RUST=OFF: rust_vs_c measures the C patterns only")
endif()
