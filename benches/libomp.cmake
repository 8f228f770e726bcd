# The LLVM libomp baseline of benches/fork_join.c: benches/libomp/fork_join_omp.c
# built a second time with clang -fopenmp against libomp, as its own program
# (libgomp and libomp cannot live in one process), which fork_join runs as a
# child. Optional: without clang or libomp (scripts/deps.sh installs both),
# one line says so and fork_join leaves its libomp rows out.
find_program(TL_CLANG NAMES clang clang-18 clang-17 clang-16 clang-15 clang-14)
file(GLOB _tl_libomp /usr/lib/llvm-*/lib/libomp.so /usr/lib64/libomp.so
     /usr/lib/x86_64-linux-gnu/libomp.so /usr/local/lib/libomp.so)
if(TL_CLANG AND _tl_libomp AND NOT TL_SANITIZE)
  list(GET _tl_libomp -1 _tl_libomp_so)
  get_filename_component(_tl_libomp_dir ${_tl_libomp_so} DIRECTORY)
  set(_tl_libomp_out ${CMAKE_BINARY_DIR}/benches/libomp/fork_join_omp)
  add_custom_command(OUTPUT ${_tl_libomp_out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/benches/libomp
    COMMAND ${TL_CLANG} -O2 -fopenmp=libomp -Wall -Wextra -Werror
            -L${_tl_libomp_dir} -Wl,-rpath,${_tl_libomp_dir}
            -o ${_tl_libomp_out} ${CMAKE_CURRENT_SOURCE_DIR}/libomp/fork_join_omp.c
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/libomp/fork_join_omp.c
            ${CMAKE_CURRENT_SOURCE_DIR}/fork_join_omp.h
    COMMENT "Building the libomp baseline (clang -fopenmp=libomp)")
  add_custom_target(fork_join_omp_libomp ALL DEPENDS ${_tl_libomp_out})
  if(TARGET fork_join)
    add_dependencies(fork_join fork_join_omp_libomp)
  endif()
  message(STATUS "libomp baseline: ${TL_CLANG} with ${_tl_libomp_so}")
elseif(TL_SANITIZE)
  message(STATUS "libomp baseline: not built under a sanitizer")
else()
  message(STATUS "libomp baseline: skipped (needs clang and libomp-dev: scripts/deps.sh)")
endif()
