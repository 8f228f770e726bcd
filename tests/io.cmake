# Tests of the IO benches (benches/io_concurrency.c, benches/million.c): each
# in quick mode, shrunk further, checked by check_io_csv.py (check_bench_csv.py
# with their schemas); the thread probe shown to stop cleanly at its cap; and
# their bad flags, including a concurrency the caps cannot hold, shown to be
# usage errors (cli/io_flags.sh). None depends on timing.
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
set(_io_check ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_io_csv.py)
set(_io_quick --quick --quiet --reps 2)

# ---- io_concurrency: every server at 1, 4 and 16 connections ----------------------------
set(_io_strategies thread_per_connection pool epoll)
if(TL_HAVE_LIBUV)
  list(APPEND _io_strategies libuv)
endif()
set(_expect "")
foreach(connections 1 4 16)
  foreach(strategy ${_io_strategies})
    foreach(metric throughput latency_p50 latency_p99 cpu_per_request
                   rss_per_connection kernel_stack_per_connection)
      list(APPEND _expect --expect io,${strategy},${connections},${metric})
    endforeach()
  endforeach()
endforeach()
add_test(NAME bench_io_concurrency_quick COMMAND ${_io_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_io_concurrency_quick
  --keys section,strategy,connections,metric ${_expect} --exact
  --each metric=throughput:unit=req/s,median>0
  --each metric=latency_p99:unit=ns,median>0
  --each metric=rss_per_connection:unit=bytes
  -- $<TARGET_FILE:io_concurrency> ${_io_quick} --connections 1,4,16
     --window-ms 10 --pool-workers 4 --max-threads 64)

# ---- million: every section, small ---------------------------------------------------------
set(_io_waits --require section=waits,strategy=epoll_timers,metric=wall
              --require section=waits,strategy=pool_tasks,metric=bytes_per_wait)
if(TL_HAVE_LIBUV)
  list(APPEND _io_waits --require section=waits,strategy=libuv_timers,metric=wall)
endif()
add_test(NAME bench_million_quick COMMAND ${_io_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_million_quick
  --require section=felt,strategy=blocked,count=10,metric=wake_latency
  --require section=felt,strategy=runnable,count=10,metric=wake_latency
  ${_io_waits}
  --each section=waits,metric=wall:median>0
  --each section=threads:result=cap,median=100,count=100
  --each section=limits:metric=threads_allowed,unit=threads
  --require section=limits,result=first
  -- $<TARGET_FILE:million> ${_io_quick} --felt-max 10 --waits 1000 --wait-ms 20
     --max-threads 100 --pool-workers 4)

# The probe stops cleanly at its cap: 50 threads created, result "cap".
add_test(NAME bench_million_cap COMMAND ${_io_check}
  --out ${CMAKE_CURRENT_BINARY_DIR}/bench_million_cap
  --each section=threads:result=cap,median=50,count=50
  -- $<TARGET_FILE:million> ${_io_quick} --section threads --max-threads 50)

foreach(_bench io_concurrency million)
  add_test(NAME bench_${_bench}_flags
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/io_flags.sh
            $<TARGET_FILE:${_bench}> ${CMAKE_CURRENT_BINARY_DIR}/bench_${_bench}_flags)
endforeach()
set_tests_properties(bench_io_concurrency_quick bench_io_concurrency_flags
  bench_million_quick bench_million_cap bench_million_flags PROPERTIES
  TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
