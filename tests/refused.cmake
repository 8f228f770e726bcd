# Benches when the OS refuses threads (issue 15): each runs --quick as nobody
# under a small RLIMIT_NPROC, skips the refused cases with a line naming
# them, never aborts, never hangs. One line per bench engineer; RUN_SERIAL,
# since every such test counts against the same user's RLIMIT_NPROC.
# ThreadSanitizer cannot see inside OpenMP and GLib: left out under it.
if(TL_SANITIZE STREQUAL "thread")
  set(_refused_peers --no-peers)
else()
  set(_refused_peers "")
endif()
add_test(NAME bench_refused_spawn_pool COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/refused_spawn_pool.sh $<TARGET_FILE:spawn_cost> $<TARGET_FILE:pool_vs_raw> ${CMAKE_CURRENT_BINARY_DIR}/bench_refused_spawn_pool ${_refused_peers})
set_tests_properties(bench_refused_spawn_pool PROPERTIES
  TIMEOUT 400 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE LABELS "bench"
  ENVIRONMENT "${TL_TEST_ENV}")

# thread_count and join_order (cli/bench_refused.sh: exit 0, or 1 only if
# nothing was measured; a "skipped" line naming the case; no SIGABRT; no
# hang): the limit, the case that must be skipped, the bench's arguments.
# 6 threads: T = 1 and 2 (and a sanitizer's own thread, an OpenMP runtime's
# idle one) fit; 16 does not.
set(_refused_script ${CMAKE_CURRENT_SOURCE_DIR}/cli/bench_refused.sh)
macro(tl_refused_test bench nproc case)
  if(TARGET ${bench})
    add_test(NAME refused_${bench} COMMAND sh ${_refused_script} $<TARGET_FILE:${bench}>
             ${CMAKE_CURRENT_BINARY_DIR}/refused_${bench} ${nproc} ${case} ${ARGN})
    set_tests_properties(refused_${bench} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                         RUN_SERIAL TRUE LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
  endif()
endmacro()
tl_refused_test(thread_count 6 threads=16 --threads 1,2,16 --array-bytes 4M
                ${_bench_no_openmp})
tl_refused_test(join_order 6 tasks=16 --threads 1,2,16 --task-us 200)

# stack_size (tests/cli/refused_stack_size.sh), as uid 65534 likewise.
get_property(_refused_benches GLOBAL PROPERTY TL_BENCHES)
# stack_size under 8 tasks: its crowds of 100 parked threads are refused.
if("stack_size" IN_LIST _refused_benches)
add_test(NAME bench_stack_size_refused COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/refused_stack_size.sh $<TARGET_FILE:stack_size> ${CMAKE_CURRENT_BINARY_DIR}/bench_stack_size_refused 8 "memory stack=")
set_tests_properties(bench_stack_size_refused PROPERTIES
  TIMEOUT 300 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
endif()
