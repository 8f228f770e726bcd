# The plans of a whole `make bench` (scripts/bench.sh --plan) on this machine
# and on every made-up machine of tests/topologies/ (2 to 384 PUs): in time, in
# memory, and sized so that each bench's question is still answered there
# (check_plans.py lists the rules). Nothing is measured, so a sanitizer build
# has nothing to add: it runs in the plain builds only.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND AND NOT TL_SANITIZE)
  add_test(NAME bench_plans
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_plans.py
            ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR})
  set_tests_properties(bench_plans PROPERTIES TIMEOUT 300 LABELS "bench"
    ENVIRONMENT "${TL_TEST_ENV}")
endif()

# A run bound with taskset stays on its CPU, and says so in its card
# (check_binding.py). Not under the sanitizers: their runtimes' own threads
# and slowness add nothing to what is checked.
if(Python3_Interpreter_FOUND AND NOT TL_SANITIZE)
  add_test(NAME bench_binding
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_binding.py ${CMAKE_BINARY_DIR})
  set_tests_properties(bench_binding PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77
    LABELS "bench" ENVIRONMENT "${TL_TEST_ENV}")
endif()
