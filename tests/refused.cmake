# Benches the OS refuses threads (issue 15): each runs --quick as uid 65534
# under a small RLIMIT_NPROC and must skip the cases it cannot get threads
# for, with a line naming them, and go on (tests/cli/refused_<bench>.sh).
get_property(_refused_benches GLOBAL PROPERTY TL_BENCHES)
# stack_size under 8 tasks: its crowds of 100 parked threads are refused.
if("stack_size" IN_LIST _refused_benches)
add_test(NAME bench_stack_size_refused COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/refused_stack_size.sh $<TARGET_FILE:stack_size> ${CMAKE_CURRENT_BINARY_DIR}/bench_stack_size_refused 8 "memory stack=")
set_tests_properties(bench_stack_size_refused PROPERTIES
  TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
endif()
