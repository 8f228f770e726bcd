# The plans of a whole `make bench` (scripts/bench.sh --plan) on this machine
# and on every made-up machine of tests/topologies/ (2 to 384 PUs): in time, in
# memory, and sized so that each bench's question is still answered there
# (check_plans.py lists the rules). Nothing is measured, so it runs the same
# under every build.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME bench_plans
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_plans.py
            ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR})
  set_tests_properties(bench_plans PROPERTIES TIMEOUT 300 LABELS "bench"
    ENVIRONMENT "${TL_TEST_ENV}")
endif()
