# Tests of the benches (benches/*.c): each runs in quick mode, shrunk further
# (--reps 2, short sweeps, small sizes), into a scratch folder under
# build/.../tests/<test name>, and check_bench_csv.py checks what it wrote
# against the bench's description (--describe: header, sections, units, no
# empty statistics, the answer) plus the test's own conditions:
# bench_<name>_quick.
# stack_size's capacity probe is also shown to stop at its cap and to report
# the errno when spawn fails. cli/bench_flags.sh checks that each bench's bad
# flags are usage errors: bench_<name>_flags. None of them depends on timing.
#
# ThreadSanitizer cannot see inside the OpenMP runtime nor GLib's (libgomp,
# libomp and glib are not instrumented, so their synchronisation looks like
# races): under it the benches run with --no-openmp (and --no-glib), and
# their OpenMP and GLib rows are not expected.
get_property(_benches GLOBAL PROPERTY TL_BENCHES)
if(NOT _benches)
  return()
endif()
find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 not found: the quick runs of the benches are not tested")
  return()
endif()

set(_bench_check ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_bench_csv.py)
set(_bench_quick --quick --quiet --reps 2 --min-time 0.001)
set(_bench_openmp ${OpenMP_C_FOUND})
set(_bench_glib ${GLIB_FOUND})
set(_bench_no_openmp "") # for the benches with OpenMP series
set(_bench_no_glib "")   # for pool_vs_raw
if(TL_SANITIZE STREQUAL "thread")
  set(_bench_openmp OFF)
  set(_bench_glib OFF)
  set(_bench_no_openmp --no-openmp)
  set(_bench_no_glib --no-glib)
endif()

# ---- spawn_cost (--expect: values of its key columns, in order) -------------------
set(_expect "")
set(_create_join pthread tl_spawn tl_builder_named c11_thrd fork_waitpid)
if(GLIB_FOUND) # glib_thread is not left out under ThreadSanitizer
  list(APPEND _create_join glib_thread)
endif()
foreach(strategy ${_create_join})
  list(APPEND _expect --expect create_join,${strategy},1)
endforeach()
set(_fork_join spawn_join_all scope pool_parallel_for)
if(_bench_openmp)
  list(APPEND _fork_join omp_parallel)
endif()
foreach(threads 1 2)
  foreach(strategy ${_fork_join})
    list(APPEND _expect --expect fork_join,${strategy},${threads})
  endforeach()
endforeach()
add_test(NAME bench_spawn_cost_quick COMMAND ${_bench_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_spawn_cost_quick
  ${_expect} --exact
  -- $<TARGET_FILE:spawn_cost> ${_bench_quick} ${_bench_no_openmp} --threads 1,2)

# ---- thread_count -----------------------------------------------------------------
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  set(_omp_runtime libomp)
else()
  set(_omp_runtime libgomp)
endif()
set(_expect "")
foreach(threads 1 2)
  foreach(pin none compact scatter)
    list(APPEND _expect --expect cpu,threads,pthreads,${pin},${threads})
  endforeach()
  if(_bench_openmp)
    list(APPEND _expect --expect cpu,openmp,${_omp_runtime},none,${threads})
  endif()
  list(APPEND _expect --expect memory,threads,pthreads,none,${threads})
endforeach()
foreach(threads 1 2 4 8 16 32 64) # --quick: 64 blocking operations
  list(APPEND _expect --expect io,threads,pthreads,none,${threads})
endforeach()
add_test(NAME bench_thread_count_quick COMMAND ${_bench_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_thread_count_quick
  --filled speedup,efficiency,voluntary_csw,involuntary_csw
  ${_expect} --exact
  -- $<TARGET_FILE:thread_count> ${_bench_quick} ${_bench_no_openmp} --threads 1,2
     --array-bytes 4M)

# ---- join_order -------------------------------------------------------------------
set(_expect "")
foreach(kind cpu sleep)
  foreach(tasks 1 4)
    foreach(strategy join_in_loop spawn_all_join_all scope pool)
      list(APPEND _expect --expect pattern,${kind},${strategy},${tasks},wall)
    endforeach()
  endforeach()
endforeach()
foreach(tasks 1 4)
  foreach(strategy in_order as_completed)
    foreach(metric first_result last_result)
      list(APPEND _expect --expect order,varied,${strategy},${tasks},${metric})
    endforeach()
  endforeach()
endforeach()
add_test(NAME bench_join_order_quick COMMAND ${_bench_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_join_order_quick
  ${_expect} --exact
  -- $<TARGET_FILE:join_order> ${_bench_quick} --threads 1,4 --task-us 200)

# ---- stack_size -------------------------------------------------------------------
# Every section; live threads up to 100 and a capacity cap of 200, so the
# probe child stays far from ThreadSanitizer's limit of live threads.
add_test(NAME bench_stack_size_quick COMMAND ${_bench_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_stack_size_quick
  --require section=default,metric=default_stack,result=*
  --require section=latency,metric=spawn_join
  --each section=memory:threads=100
  --require section=memory,metric=rss_per_thread,touched_bytes=0
  --require section=memory,metric=vsz_per_thread,touched_bytes=65536
  --require section=live_threads,metric=spawn_join,threads=100
  --require section=live_threads,metric=context_switch,threads=1
  --each section=capacity:result=cap,median=200
  -- $<TARGET_FILE:stack_size> ${_bench_quick} --threads 1,10,100 --cap 200)

# The probe stops at its cap: 50 threads of every size, result "cap".
add_test(NAME bench_stack_size_cap COMMAND ${_bench_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_stack_size_cap
  --each section=capacity:result=cap,median=50,threads=50
  -- $<TARGET_FILE:stack_size> ${_bench_quick} --section capacity --cap 50)

# When spawn fails: the child drops root and sets RLIMIT_NPROC to 10, so it
# creates fewer than the cap and reports the errno (EAGAIN).
add_test(NAME bench_stack_size_errno COMMAND ${_bench_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_stack_size_errno
  --each section=capacity:result=EAGAIN,median<50
  -- $<TARGET_FILE:stack_size> ${_bench_quick} --section capacity --cap 50
     --probe-nproc 10)

# ---- pool_vs_raw ------------------------------------------------------------------
set(_peers "")
if(_bench_openmp)
  list(APPEND _peers
    --require section=grain,strategy=omp_for_dynamic,grain_ns=1000
    --require section=grain,strategy=omp_task,grain_ns=0
    --require section=batch,strategy=omp_task
    --require section=parallel_for,strategy=omp_for_static
    --require section=fork_join,strategy=omp_parallel)
endif()
if(_bench_glib)
  list(APPEND _peers
    --require section=grain,strategy=glib_pool,grain_ns=1000000
    --require section=batch,strategy=glib_pool
    --require section=round_trip,strategy=glib_pool)
endif()
add_test(NAME bench_pool_vs_raw_quick COMMAND ${_bench_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_pool_vs_raw_quick
  --require section=grain,strategy=thread_per_task,grain_ns=0
  --require section=grain,strategy=scoped_static,grain_ns=100
  --require section=grain,strategy=pool_submit,grain_ns=10000
  --require section=grain,strategy=pool_parallel_for,grain_ns=100000
  --each section=grain:workers=2,efficiency>-0.000001
  --require section=batch,strategy=pool_submit
  --require section=parallel_for,strategy=pool_parallel_for
  --require section=fork_join,strategy=pool_parallel_for
  --require section=round_trip,strategy=pool_submit
  ${_peers}
  -- $<TARGET_FILE:pool_vs_raw> ${_bench_quick} --threads 2 ${_bench_no_openmp}
     ${_bench_no_glib})

# ---- bad flags: a few common ones, the shared ones and each bench's own ----------------
# Every bench CMake builds (harness_selftest's flags are harness_cli's).
set(_bench_programs "")
foreach(_bench ${_benches})
  list(APPEND _bench_programs $<TARGET_FILE:${_bench}>)
  if(_bench STREQUAL "harness_selftest")
    continue()
  endif()
  add_test(NAME bench_${_bench}_flags
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/bench_flags.sh
            $<TARGET_FILE:${_bench}> ${CMAKE_CURRENT_BINARY_DIR}/bench_${_bench}_flags)
  set_tests_properties(bench_${_bench}_flags PROPERTIES
    TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
  if(TEST bench_${_bench}_quick)
    set_tests_properties(bench_${_bench}_quick PROPERTIES
      TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
  endif()
endforeach()

# ---- the descriptions: the README's tables, and CSVs that disagree with them ------------
# benches/README.md's column tables are what the benches describe.
add_test(NAME readme_tables
  COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/readme_tables.py --check
          ${PROJECT_SOURCE_DIR}/benches/README.md ${_bench_programs})
# A CSV whose header differs from its bench's description is refused, with
# one line naming the file; every fixture CSV matches.
add_test(NAME results_describe
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/plots/describe.sh ${PROJECT_SOURCE_DIR}
          ${CMAKE_CURRENT_BINARY_DIR}/results_describe ${CMAKE_BINARY_DIR})
set_tests_properties(readme_tables results_describe PROPERTIES
  TIMEOUT 120 SKIP_RETURN_CODE 77 LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
set_tests_properties(bench_stack_size_cap bench_stack_size_errno PROPERTIES
  TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
# The quick runs of stack_size and pool_vs_raw keep both PUs busy for
# seconds: alone, so that the timing checks of other tests (harness_selftest)
# do not run beside them.
set_tests_properties(bench_stack_size_quick bench_pool_vs_raw_quick PROPERTIES
  RUN_SERIAL TRUE)
