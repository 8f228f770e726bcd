# pool_perf (benches/pool_perf.c, built with the benches): the pool's
# performance targets of issue 4 against OpenMP and GLib in one program.
# `pool_perf --quick` runs as a test so it keeps working. Sanitizer builds
# measure threadlab alone: the OpenMP and GLib runtimes are not instrumented
# and would only bring false reports.
if(TARGET pool_perf)
  if(TL_SANITIZE STREQUAL "")
    set(_tl_pool_perf_args --quick)
  else()
    set(_tl_pool_perf_args --quick --threadlab-only)
  endif()
  add_test(NAME pool_perf_quick COMMAND pool_perf ${_tl_pool_perf_args})
  set_tests_properties(pool_perf_quick PROPERTIES TIMEOUT 120 LABELS "bench"
    ENVIRONMENT "${TL_TEST_ENV}")
endif()
