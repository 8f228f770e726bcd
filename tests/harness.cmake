# Tests of the measurement harness (benches/harness): the test_harness_*.c
# programs link tl_harness; shell tests drive the harness_selftest bench's
# command line and run it in quick mode.
if(NOT TARGET tl_harness) # benches are off: build the harness for its tests
  add_subdirectory(${PROJECT_SOURCE_DIR}/benches/harness
                   ${CMAKE_BINARY_DIR}/benches/harness)
endif()

file(GLOB _tl_harness_tests CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/test_harness_*.c)
foreach(src ${_tl_harness_tests})
  get_filename_component(name ${src} NAME_WE)
  target_link_libraries(${name} PRIVATE tl_harness)
endforeach()

if(TARGET harness_selftest)
  # Every malformed flag exits 2 with one line naming it; --help names all.
  add_test(NAME harness_cli
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/harness_cli.sh
            $<TARGET_FILE:harness_selftest> ${CMAKE_CURRENT_BINARY_DIR}/harness_cli)
  # The selftest in quick mode: that it runs and writes its results. Tests
  # are not timings: CTest runs it beside other tests, maybe under a
  # sanitizer, so its accuracy check is loosened to the most --tolerance
  # allows; the 5% default is for a run by hand on a quiet machine.
  add_test(NAME harness_selftest
    COMMAND harness_selftest --quick --quiet --tolerance 1000
            --out ${CMAKE_CURRENT_BINARY_DIR}/harness_selftest)
  set_tests_properties(harness_cli harness_selftest PROPERTIES
    TIMEOUT 120 SKIP_RETURN_CODE 77 LABELS "cli" ENVIRONMENT "${TL_TEST_ENV}")
endif()
