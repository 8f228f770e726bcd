# The benches of issue 5 (spawn_cost, thread_count, join_order): each runs
# in quick mode, shrunk further (--reps 2, short sweeps), into a scratch
# folder, and check_bench_csv.py checks what it wrote against its schema in
# benches/README.md: header, the set of cases, no empty statistics, the
# answer. check_bench_flags.py checks that bad flags are usage errors.
# ThreadSanitizer cannot see inside the OpenMP runtime (libgomp and libomp
# are not instrumented, so their barriers look like races): under it the
# benches run with --no-openmp, and their OpenMP rows are not expected.
find_program(TL_PYTHON3 python3)
if(NOT TL_PYTHON3 OR NOT TARGET spawn_cost OR NOT TARGET thread_count
   OR NOT TARGET join_order)
  return()
endif()

set(_b5_openmp ${OpenMP_C_FOUND})
set(_b5_quick --quick --quiet --reps 2 --min-time 0.001)
set(_b5_no_openmp "") # for the benches with OpenMP series
if(TL_SANITIZE STREQUAL "thread")
  set(_b5_openmp OFF)
  set(_b5_no_openmp --no-openmp)
endif()
set(_b5_check ${TL_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/check_bench_csv.py)
set(_b5_flags ${TL_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/check_bench_flags.py)
set(_b5_scratch ${CMAKE_CURRENT_BINARY_DIR}/benches5)

# ---- spawn_cost: section,strategy,threads ------------------------------------
set(_expect "")
set(_create_join pthread tl_spawn tl_builder_named c11_thrd fork_waitpid)
if(GLIB_FOUND)
  list(APPEND _create_join glib_thread)
endif()
foreach(strategy ${_create_join})
  list(APPEND _expect --expect create_join,${strategy},1)
endforeach()
set(_fork_join spawn_join_all scope pool_parallel_for)
if(_b5_openmp)
  list(APPEND _fork_join omp_parallel)
endif()
foreach(threads 1 2)
  foreach(strategy ${_fork_join})
    list(APPEND _expect --expect fork_join,${strategy},${threads})
  endforeach()
endforeach()
add_test(NAME bench_spawn_cost_quick
  COMMAND ${_b5_check} --out ${_b5_scratch}/spawn_cost
          --columns section,strategy,threads --keys section,strategy,threads
          ${_expect} --exact
          -- $<TARGET_FILE:spawn_cost> ${_b5_quick} ${_b5_no_openmp} --threads 1,2)

# ---- thread_count: workload,strategy,runtime,pin,threads + metrics -------------
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
  if(_b5_openmp)
    list(APPEND _expect --expect cpu,openmp,${_omp_runtime},none,${threads})
  endif()
  list(APPEND _expect --expect memory,threads,pthreads,none,${threads})
endforeach()
foreach(threads 1 2 4 8 16 32 64) # --quick: 64 blocking operations
  list(APPEND _expect --expect io,threads,pthreads,none,${threads})
endforeach()
add_test(NAME bench_thread_count_quick
  COMMAND ${_b5_check} --out ${_b5_scratch}/thread_count
          --columns workload,strategy,runtime,pin,threads,speedup,efficiency,voluntary_csw,involuntary_csw
          --keys workload,strategy,runtime,pin,threads
          --filled speedup,efficiency,voluntary_csw,involuntary_csw
          ${_expect} --exact
          -- $<TARGET_FILE:thread_count> ${_b5_quick} ${_b5_no_openmp} --threads 1,2
             --array-bytes 4M)

# ---- join_order: section,kind,strategy,tasks,metric ------------------------------
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
add_test(NAME bench_join_order_quick
  COMMAND ${_b5_check} --out ${_b5_scratch}/join_order
          --columns section,kind,strategy,tasks,metric
          --keys section,kind,strategy,tasks,metric ${_expect} --exact
          -- $<TARGET_FILE:join_order> ${_b5_quick} --threads 1,4 --task-us 200)

# ---- bad flags: a common one and each bench's own --------------------------------
add_test(NAME bench_spawn_cost_flags
  COMMAND ${_b5_flags} --scratch ${_b5_scratch}/spawn_cost_flags
          $<TARGET_FILE:spawn_cost> -- "--reps 0" "--threads 0" "--no-openmp=1"
          "--nope")
add_test(NAME bench_thread_count_flags
  COMMAND ${_b5_flags} --scratch ${_b5_scratch}/thread_count_flags
          $<TARGET_FILE:thread_count> -- "--pin diagonal" "--array-bytes 12Q"
          "--array-bytes 1K" "--array-bytes" "--no-openmp=yes")
add_test(NAME bench_join_order_flags
  COMMAND ${_b5_flags} --scratch ${_b5_scratch}/join_order_flags
          $<TARGET_FILE:join_order> -- "--task-us 5" "--task-us soon"
          "--task-us" "--min-time 0")

set_tests_properties(bench_spawn_cost_quick bench_thread_count_quick
  bench_join_order_quick bench_spawn_cost_flags bench_thread_count_flags
  bench_join_order_flags PROPERTIES
  TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
