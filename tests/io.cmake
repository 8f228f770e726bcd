# Tests of the IO benches (benches/io_concurrency.c, benches/million.c): each
# in quick mode, shrunk further, checked against its description by
# check_bench_csv.py; the thread probe shown to stop cleanly at its cap; and
# a concurrency the caps cannot hold, or a bad value of their own flags,
# shown to be a usage error with one line (cli/io_flags.sh; the flags every
# bench shares are bench_<name>_flags, in benches.cmake). None depends on
# timing.
#
# Under ThreadSanitizer libuv is not built in (benches/io.cmake) and the
# thread counts stay far below its limit of live threads.
if(NOT TARGET io_concurrency OR NOT TARGET million)
  return()
endif()
find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "python3 not found: the quick runs of the IO benches are not tested")
  return()
endif()
set(_io_check ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_bench_csv.py)
set(_io_quick --quick --quiet --reps 2)

# ---- io_concurrency: every server at 1, 4 and 16 connections ----------------------------
set(_io_strategies thread_per_connection pool epoll)
if(TL_HAVE_LIBUV)
  list(APPEND _io_strategies libuv)
endif()
set(_expect "")
foreach(connections 1 4 16)
  foreach(strategy ${_io_strategies})
    foreach(section throughput latency_p50 latency_p99 cpu_per_request
                    rss_per_connection kernel_stack_per_connection)
      list(APPEND _expect --expect ${section},${strategy},${connections})
    endforeach()
  endforeach()
endforeach()
add_test(NAME bench_io_concurrency_quick COMMAND ${_io_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_io_concurrency_quick
  ${_expect} --exact
  --each section=throughput:median>0
  --each section=latency_p99:median>0
  -- $<TARGET_FILE:io_concurrency> ${_io_quick} --connections 1,4,16
     --window-ms 10 --pool-workers 4 --max-threads 64)

# ---- million: every section, small ---------------------------------------------------------
set(_io_waits --require section=waits_wall,strategy=epoll_timers
              --require section=waits_memory,strategy=pool_tasks)
if(TL_HAVE_LIBUV)
  list(APPEND _io_waits --require section=waits_wall,strategy=libuv_timers)
endif()
add_test(NAME bench_million_quick COMMAND ${_io_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_million_quick
  --require section=felt,strategy=blocked,count=10
  --require section=felt,strategy=runnable,count=10
  ${_io_waits}
  --each section=waits_wall:median>0,count=1000
  --each section=threads:result=cap,median=100,count=100
  --require section=limits,result=first
  -- $<TARGET_FILE:million> ${_io_quick} --felt-max 10 --waits 1000 --wait-ms 20
     --max-threads 100 --pool-workers 4)

# The probe stops cleanly at its cap: 50 threads created, result "cap".
add_test(NAME bench_million_cap COMMAND ${_io_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_million_cap
  --each section=threads:result=cap,median=50,count=50
  -- $<TARGET_FILE:million> ${_io_quick} --section threads --max-threads 50)

foreach(_bench io_concurrency million)
  add_test(NAME bench_${_bench}_refusals
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/io_flags.sh
            $<TARGET_FILE:${_bench}> ${CMAKE_CURRENT_BINARY_DIR}/bench_${_bench}_refusals)
endforeach()
set_tests_properties(bench_io_concurrency_quick bench_io_concurrency_refusals
  bench_million_quick bench_million_cap bench_million_refusals PROPERTIES
  TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
