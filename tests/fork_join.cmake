# bench_fork_join_quick: benches/fork_join.c in quick mode, checked against its
# description by check_bench_csv.py (the pattern of tests/benches.cmake, whose
# variables this reuses: it is included after it). Each section's tl_pool rows
# are required, and the OpenMP runtimes' where they are built: the in-process
# one (libgomp with gcc, libomp with clang) and, in a gcc build, the libomp
# helper when benches/libomp.cmake could build it. Nothing depends on timing.
if(NOT DEFINED _bench_check OR NOT TARGET fork_join)
  return()
endif()
set(_fj_peers "")
if(_bench_openmp)
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    set(_fj_runtimes libomp)
  else()
    set(_fj_runtimes libgomp)
    if(TARGET fork_join_omp_libomp)
      list(APPEND _fj_runtimes libomp)
    endif()
  endif()
  foreach(_rt ${_fj_runtimes})
    list(APPEND _fj_peers
      --require section=gap,runtime=${_rt},gap_us=0
      --require section=oversubscribed,runtime=${_rt}
      --require section=idle,runtime=${_rt})
  endforeach()
endif()
if(_bench_glib)
  list(APPEND _fj_peers --require section=round_trip,runtime=glib)
endif()
add_test(NAME bench_fork_join_quick COMMAND ${_bench_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_fork_join_quick
  --require section=gap,runtime=tl_pool,gap_us=0
  --require section=gap,runtime=tl_pool,gap_us=1000
  --require section=oversubscribed,runtime=tl_pool,gap_us=0
  --require section=idle,runtime=tl_pool
  --require section=round_trip,runtime=tl_pool
  --each section=gap:cpu_ns_per_fork>0
  --each section=round_trip:p99_ns>0
  ${_fj_peers}
  -- $<TARGET_FILE:fork_join> ${_bench_quick} --threads 2 ${_bench_no_openmp}
     ${_bench_no_glib})
# One section alone: the answer quotes what was measured and nothing else
# (no "NaN" for the sections not run).
add_test(NAME bench_fork_join_one_section COMMAND ${_bench_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_fork_join_one_section
  --require section=round_trip,runtime=tl_pool
  -- $<TARGET_FILE:fork_join> ${_bench_quick} --threads 2 --section round_trip
     ${_bench_no_openmp} ${_bench_no_glib})
# It keeps both PUs busy (and one CPU-bound thread per PU): alone, as
# bench_pool_vs_raw_quick. The answer holds no figure that is not a value
# (NaN, or a ratio rounded to "0.00x"): the checker echoes it.
set_tests_properties(bench_fork_join_quick bench_fork_join_one_section PROPERTIES
  TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}"
  RUN_SERIAL TRUE FAIL_REGULAR_EXPRESSION "NaN|nanx|[ (-]0\\.00x|FAIL:")
set_tests_properties(bench_fork_join_one_section PROPERTIES
  PASS_REGULAR_EXPRESSION "fork_join: A one-task round trip on an idle pool takes [0-9]+ ns.*ok: fork_join: [0-9]+ rows")
