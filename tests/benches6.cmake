# Tests of the stack_size and pool_vs_raw benches (issue 6): each runs in
# quick mode into a temporary folder, and check_bench6_csv.py checks its files
# against the schema of benches/README.md; the capacity probe is shown to stop
# at its cap and to report the errno when spawn fails; bad flags exit 2.
# Sizes are small so the tests stay fast under the sanitizers too; none of
# them depends on timing.
if(NOT TARGET stack_size OR NOT TARGET pool_vs_raw)
  return()
endif()
find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 not found: the bench CSV checks of issue 6 are not registered")
  return()
endif()

set(_b6_check ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_bench6_csv.py)
set(_b6_fast --quick --reps 2 --min-time 0.001)

# ---- stack_size ------------------------------------------------------------
# Every section; live threads up to 100 and a capacity cap of 200, so the
# probe child stays far from ThreadSanitizer's limit of live threads.
add_test(NAME bench6_stack_size_quick COMMAND ${_b6_check}
  --require section=default,metric=default_stack,result=*
  --require section=latency,metric=spawn_join
  --each section=memory:threads=100
  --require section=memory,metric=rss_per_thread,touched_bytes=0
  --require section=memory,metric=vsz_per_thread,touched_bytes=65536
  --require section=live_threads,metric=spawn_join,threads=100
  --require section=live_threads,metric=context_switch,threads=1
  --each section=capacity:result=cap,median=200
  -- $<TARGET_FILE:stack_size> ${_b6_fast} --threads 1,10,100 --cap 200)

# The probe stops at its cap: 50 threads of every size, result "cap".
add_test(NAME bench6_stack_size_cap COMMAND ${_b6_check}
  --each section=capacity:result=cap,median=50,threads=50
  -- $<TARGET_FILE:stack_size> ${_b6_fast} --section capacity --cap 50)

# When spawn fails: the child drops root and sets RLIMIT_NPROC to 10, so it
# creates fewer than the cap and reports the errno (EAGAIN).
add_test(NAME bench6_stack_size_errno COMMAND ${_b6_check}
  --each section=capacity:result=EAGAIN,median<50
  -- $<TARGET_FILE:stack_size> ${_b6_fast} --section capacity --cap 50
     --probe-nproc 10)

# ---- pool_vs_raw -----------------------------------------------------------
# OpenMP's and GLib's runtimes are not instrumented for ThreadSanitizer (their
# synchronisation is invisible to it): the TSan build leaves them out.
set(_b6_pool_flags "")
set(_b6_peers "")
if(TL_SANITIZE STREQUAL "thread")
  set(_b6_pool_flags --no-openmp --no-glib)
else()
  if(OpenMP_C_FOUND)
    list(APPEND _b6_peers
      --require section=grain,strategy=omp_for_dynamic,grain_ns=1000
      --require section=grain,strategy=omp_task,grain_ns=0
      --require section=batch,strategy=omp_task
      --require section=parallel_for,strategy=omp_for_static
      --require section=fork_join,strategy=omp_parallel)
  endif()
  if(GLIB_FOUND)
    list(APPEND _b6_peers
      --require section=grain,strategy=glib_pool,grain_ns=1000000
      --require section=batch,strategy=glib_pool
      --require section=round_trip,strategy=glib_pool)
  endif()
endif()
add_test(NAME bench6_pool_vs_raw_quick COMMAND ${_b6_check}
  --require section=grain,strategy=thread_per_task,grain_ns=0
  --require section=grain,strategy=scoped_static,grain_ns=100
  --require section=grain,strategy=pool_submit,grain_ns=10000
  --require section=grain,strategy=pool_parallel_for,grain_ns=100000
  --each section=grain:workers=2,efficiency>-0.000001
  --require section=batch,strategy=pool_submit
  --require section=parallel_for,strategy=pool_parallel_for
  --require section=fork_join,strategy=pool_parallel_for
  --require section=round_trip,strategy=pool_submit
  ${_b6_peers}
  -- $<TARGET_FILE:pool_vs_raw> ${_b6_fast} --threads 2 ${_b6_pool_flags})

# ---- command lines ---------------------------------------------------------
foreach(_b6_bench stack_size pool_vs_raw)
  add_test(NAME bench6_${_b6_bench}_cli
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/bench6_cli.sh
            $<TARGET_FILE:${_b6_bench}> ${CMAKE_CURRENT_BINARY_DIR}/bench6_${_b6_bench}_cli)
endforeach()

set_tests_properties(bench6_stack_size_quick bench6_stack_size_cap
  bench6_stack_size_errno bench6_pool_vs_raw_quick bench6_stack_size_cli
  bench6_pool_vs_raw_cli PROPERTIES
  TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
# The quick runs keep both PUs busy for seconds: alone, so that the timing
# checks of other tests (harness_selftest) do not run beside them.
set_tests_properties(bench6_stack_size_quick bench6_pool_vs_raw_quick PROPERTIES
  RUN_SERIAL TRUE)
