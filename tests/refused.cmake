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
