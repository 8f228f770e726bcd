# Tests of work_stealing and rust_vs_c (benches/stealing.cmake builds their
# optional parts): each bench in quick mode on 1 and 2 threads, checked by
# check_bench_csv.py against the rows it must write here: oneTBB's, OpenMP's,
# GThreadPool's and Rust's only where they were built (TL_HAVE_TBB,
# TL_HAVE_RUST...), so the same tests pass with and without them. Under
# ThreadSanitizer the bench runs --no-tbb --no-openmp --no-glib (none of the
# three runtimes is instrumented: their synchronisation looks like races) and
# those rows are not expected. rust_vs_c is also run with a Rust program that
# does not exist: the C rows only, and one line saying so. Then the flags of
# both, the Rust program's own input, and the two charts. None depends on
# timing.
if(NOT TARGET work_stealing OR NOT TARGET rust_vs_c)
  return()
endif()
find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 not found: work_stealing and rust_vs_c are not tested")
  return()
endif()
set(_ws_check ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_bench_csv.py)
set(_ws_quick --quick --quiet --reps 2 --min-time 0.001)
set(_ws_tbb ${TL_HAVE_TBB})
set(_ws_openmp ${OpenMP_C_FOUND})
set(_ws_glib ${GLIB_FOUND})
set(_ws_off "")
if(TL_SANITIZE STREQUAL "thread")
  set(_ws_tbb OFF)
  set(_ws_openmp OFF)
  set(_ws_glib OFF)
  set(_ws_off --no-tbb --no-openmp --no-glib)
endif()

# ---- work_stealing: workload,strategy,threads ---------------------------------------
set(_ws_strategies tl_pool)
if(_ws_tbb)
  list(APPEND _ws_strategies tbb)
endif()
if(_ws_openmp)
  list(APPEND _ws_strategies omp_task)
endif()
set(_expect "")
foreach(threads 1 2)
  foreach(strategy ${_ws_strategies})
    foreach(workload fib unbalanced producers grain)
      list(APPEND _expect --expect ${workload},${strategy},${threads})
    endforeach()
  endforeach()
  if(_ws_glib) # no nested waits: the flat workloads only
    list(APPEND _expect --expect producers,glib_pool,${threads} --expect grain,glib_pool,${threads})
  endif()
endforeach()
add_test(NAME bench_work_stealing_quick COMMAND ${_ws_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_work_stealing_quick
  --keys workload,strategy,threads ${_expect} --exact
  --filled runtime,grain_ns,tasks,speedup,vs_pool,cpu_ns
  --each threads=1:speedup=1 --each strategy=tl_pool:vs_pool=1
  --each workload=grain:grain_ns>0,tasks>1
  -- $<TARGET_FILE:work_stealing> ${_ws_quick} --threads 1,2 ${_ws_off})

# ---- rust_vs_c: pattern,language,strategy,threads ----------------------------------------
set(_c_rows --expect spawn_join,c,tl_spawn_join,1 --expect spawn_join,c,pthread_spawn_join,1)
set(_rust_rows --expect spawn_join,rust,rust_spawn_join,1)
foreach(threads 1 2)
  foreach(pattern scope spawn_all_join_all join_in_loop)
    list(APPEND _c_rows --expect ${pattern},c,tl_${pattern},${threads})
    list(APPEND _rust_rows --expect ${pattern},rust,rust_${pattern},${threads})
  endforeach()
endforeach()
set(_rust_checks "")
if(TL_HAVE_RUST)
  set(_rust_checks ${_rust_rows} --filled vs_rust --each language=rust:vs_rust=1)
endif()
add_test(NAME bench_rust_vs_c_quick COMMAND ${_ws_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_rust_vs_c_quick
  --keys pattern,language,strategy,threads ${_c_rows} ${_rust_checks} --exact
  -- $<TARGET_FILE:rust_vs_c> ${_ws_quick} --threads 1,2)
add_test(NAME bench_rust_vs_c_no_rust COMMAND ${_ws_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_rust_vs_c_no_rust
  --keys pattern,language,strategy,threads ${_c_rows} --exact
  -- $<TARGET_FILE:rust_vs_c> ${_ws_quick} --threads 1,2
     --rust ${CMAKE_CURRENT_BINARY_DIR}/no-such-rust-program)

# ---- flags, and the Rust program ---------------------------------------------------------
# (bench_<name>_flags, from tests/benches.cmake, checks the common and
# shared flags of every bench; these, the flags of their own.)
foreach(_bench work_stealing rust_vs_c)
  add_test(NAME bench_${_bench}_own_flags
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/stealing/flags.sh
            $<TARGET_FILE:${_bench}> ${CMAKE_CURRENT_BINARY_DIR}/bench_${_bench}_own_flags)
endforeach()
set(_ws_tests bench_work_stealing_quick bench_rust_vs_c_quick bench_rust_vs_c_no_rust
    bench_work_stealing_own_flags bench_rust_vs_c_own_flags)
if(TL_HAVE_RUST)
  add_test(NAME rust_patterns
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/stealing/rust_patterns.sh
            ${TL_RUST_PATTERNS} ${CMAKE_CURRENT_BINARY_DIR}/rust_patterns)
  list(APPEND _ws_tests rust_patterns)
endif()
# The charts, from quick runs with oneTBB (a chart of tl_pool alone has
# nothing to show): not under ThreadSanitizer, which cannot see into it
# (what is checked is the same scripts in every build).
if(_ws_tbb)
  add_test(NAME stealing_charts
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/stealing/charts.sh ${PROJECT_SOURCE_DIR}
            ${CMAKE_CURRENT_BINARY_DIR}/stealing_charts
            $<TARGET_FILE:work_stealing> $<TARGET_FILE:rust_vs_c>)
  list(APPEND _ws_tests stealing_charts)
endif()
set_tests_properties(${_ws_tests} PROPERTIES
  TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
# Their quick runs keep both PUs busy: alone, so that the timing checks of
# other tests (harness_selftest) do not run beside them.
set_tests_properties(bench_work_stealing_quick bench_rust_vs_c_quick PROPERTIES RUN_SERIAL TRUE)
if(_ws_tbb)
  set_tests_properties(stealing_charts PROPERTIES RUN_SERIAL TRUE)
endif()
