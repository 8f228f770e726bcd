# pool_perf: the pool's performance targets (issue 4) against OpenMP and GLib,
# in one program; `pool_perf --quick` runs as a test so it keeps working. It
# moves into the pool_vs_raw benchmark once benches/ has its harness.
# Sanitizer builds leave OpenMP and GLib out: their runtimes are not
# instrumented, and would only bring false reports.
add_executable(pool_perf ${PROJECT_SOURCE_DIR}/benches/pool_perf.c)
target_link_libraries(pool_perf PRIVATE threadlab)
if(TL_SANITIZE STREQUAL "")
  if(OpenMP_C_FOUND)
    target_link_libraries(pool_perf PRIVATE OpenMP::OpenMP_C)
  endif()
  if(GLIB_FOUND)
    target_compile_definitions(pool_perf PRIVATE TL_PERF_GLIB)
    target_link_libraries(pool_perf PRIVATE PkgConfig::GLIB)
  endif()
endif()
add_test(NAME pool_perf_quick COMMAND pool_perf --quick)
set_tests_properties(pool_perf_quick PROPERTIES TIMEOUT 120 LABELS "bench"
  ENVIRONMENT "${TL_TEST_ENV}")
