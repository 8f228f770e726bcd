# Benches the OS refuses threads to (issue 15): each runs --quick as uid
# 65534 under a small RLIMIT_NPROC (cli/bench_refused.sh: exit 0, or 1 only
# if nothing was measured; a "skipped" line naming the case; no SIGABRT; no
# hang). One line per bench: the limit, the case that must be skipped, its
# arguments. 6 threads: T = 1 and 2 (and a sanitizer's own thread, an
# OpenMP runtime's idle one) fit; 16 does not.
set(_refused_script ${CMAKE_CURRENT_SOURCE_DIR}/cli/bench_refused.sh)
macro(tl_refused_test bench nproc case)
  if(TARGET ${bench})
    add_test(NAME refused_${bench} COMMAND sh ${_refused_script} $<TARGET_FILE:${bench}>
             ${CMAKE_CURRENT_BINARY_DIR}/refused_${bench} ${nproc} ${case} ${ARGN})
    set_tests_properties(refused_${bench} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                         LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
  endif()
endmacro()

tl_refused_test(thread_count 6 threads=16 --threads 1,2,16 --array-bytes 4M
                ${_bench_no_openmp})
tl_refused_test(join_order 6 tasks=16 --threads 1,2,16 --task-us 200)
