# Tests of the charts, the report, the comparison and the bench pipeline
# (scripts/): shell scripts under tests/plots/ driving them on the fixture
# results in tests/fixtures/results/ (made-up data in the benches' CSV
# schemas, not measurements). They compile nothing, so they run the same
# under every sanitizer build; without gnuplot or python3 they skip (77).
foreach(_tl_plots_test render report pipeline replace)
  add_test(NAME plots_${_tl_plots_test}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/plots/${_tl_plots_test}.sh
            ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/plots_${_tl_plots_test}
            ${CMAKE_BINARY_DIR})
  set_tests_properties(plots_${_tl_plots_test} PROPERTIES
    TIMEOUT 400 SKIP_RETURN_CODE 77 LABELS "plots" ENVIRONMENT "${TL_TEST_ENV}")
endforeach()
