# omp_region_loop (tests/omp_region/): an OpenMP parallel region timed the
# simple way, for tests/check_omp_region.py, which compares it with every
# bench's own OpenMP-region figure after a `make bench` (by hand: that
# compares two timings, which no CTest test does). The tests here check what
# does not depend on timing: the loop's output is well formed, it refuses
# bad arguments with exit 2, and the check reads a results folder (the
# fixture's made-up figures: --tolerance so wide that only its parsing is
# tested) and refuses a missing one.
# Not under a sanitizer: the loop times libgomp, which is not instrumented,
# so ThreadSanitizer cannot see its barriers and reports the region's own
# loop variables as races; and a sanitizer's timing means nothing here.
# test_groups.py needs no OpenMP: the check's like-with-like comparison
# (two host states met in different shares) on simulated figures.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND AND TL_SANITIZE STREQUAL "")
  add_test(NAME omp_region_groups
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/omp_region/test_groups.py)
  set_tests_properties(omp_region_groups PROPERTIES TIMEOUT 60 LABELS "unit"
    PASS_REGULAR_EXPRESSION "^0 failures\n$")
endif()
if(NOT OpenMP_C_FOUND OR NOT TL_SANITIZE STREQUAL "")
  return()
endif()
add_executable(omp_region_loop ${CMAKE_CURRENT_SOURCE_DIR}/omp_region/omp_region_loop.c)
target_link_libraries(omp_region_loop PRIVATE OpenMP::OpenMP_C)

add_test(NAME omp_region_loop_runs COMMAND omp_region_loop 2 1000 50 3)
set_tests_properties(omp_region_loop_runs PROPERTIES TIMEOUT 60 LABELS "unit"
  ENVIRONMENT "${TL_TEST_ENV}"
  PASS_REGULAR_EXPRESSION
  "^runtime=lib(g)?omp threads=2 work_ns=1000 regions=50 repeats=3 ns_per_region=[0-9]+\\.[0-9] round_trip_ns=[0-9]+\\.[0-9]\n$")
add_test(NAME omp_region_loop_usage COMMAND omp_region_loop 0 0 1 1)
set_tests_properties(omp_region_loop_usage PROPERTIES TIMEOUT 60 LABELS "unit"
  ENVIRONMENT "${TL_TEST_ENV}" WILL_FAIL TRUE)

if(Python3_Interpreter_FOUND)
  add_test(NAME omp_region_check
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_omp_region.py
            --loop $<TARGET_FILE:omp_region_loop> --tolerance 1e9 --seconds 0.001
            ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/results/fixture-small-2pu)
  set_tests_properties(omp_region_check PROPERTIES TIMEOUT 120 LABELS "plots"
    ENVIRONMENT "${TL_TEST_ENV};TL_BUILD=${CMAKE_BINARY_DIR}"
    PASS_REGULAR_EXPRESSION "lib(g)?omp: [1-9][0-9]* of [1-9][0-9]* within")
  add_test(NAME omp_region_check_missing
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_omp_region.py
            --loop $<TARGET_FILE:omp_region_loop> ${CMAKE_CURRENT_BINARY_DIR}/no-such-folder)
  set_tests_properties(omp_region_check_missing PROPERTIES TIMEOUT 60 LABELS "plots"
    PASS_REGULAR_EXPRESSION "no-such-folder: no such folder")
endif()
